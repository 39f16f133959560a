"""exporter: publish a structured newspaper issue as a web edition, feeds, OPDS, PDF and EPUB."""

__version__ = "0.1.0"
