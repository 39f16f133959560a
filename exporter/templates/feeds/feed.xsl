<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS 2.0 or Atom feed of the exporter as a readable page when it is opened in a browser.
     Feed readers ignore it. Text only: entry HTML is not rendered here (the summary is shown). -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="rss/channel/title | atom:feed/atom:title"/>（订阅源）</title>
        <style>
          body { font-family: "Noto Serif CJK SC", "Songti SC", serif; max-width: 46em; margin: 0 auto; padding: 1em;
                 line-height: 1.7; color: #222; }
          .note { background: #fdf3e7; border-left: 4px solid #9e1b21; padding: .6em 1em; }
          h1 { color: #9e1b21; font-size: 1.6em; margin-bottom: .2em; }
          li { margin: .9em 0; list-style: none; }
          ul { padding: 0; }
          .meta { color: #666; font-size: .9em; }
          a { color: #1a4d8f; }
        </style>
      </head>
      <body>
        <p class="note">这是一个订阅源（RSS / Atom）。把本页地址复制到阅读器（如 Inoreader、Feedly、NetNewsWire、Reeder）中即可订阅。</p>
        <xsl:apply-templates select="rss/channel | atom:feed"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="channel">
    <h1><a href="{link}"><xsl:value-of select="title"/></a></h1>
    <p><xsl:value-of select="description"/></p>
    <ul>
      <xsl:for-each select="item">
        <li>
          <a href="{link}"><strong><xsl:value-of select="title"/></strong></a>
          <div class="meta">
            <xsl:value-of select="pubDate"/>
            <xsl:for-each select="dc:creator"> · <xsl:value-of select="."/></xsl:for-each>
            <xsl:for-each select="category"> · <xsl:value-of select="."/></xsl:for-each>
          </div>
          <!-- RSS descriptions hold HTML-escaped text ("a &amp;lt; b"): let the browser decode it.
               Safe: every "<" of the source text arrives here as "&lt;". -->
          <div><xsl:value-of select="description" disable-output-escaping="yes"/></div>
        </li>
      </xsl:for-each>
    </ul>
  </xsl:template>

  <xsl:template match="atom:feed">
    <h1><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h1>
    <p><xsl:value-of select="atom:subtitle"/></p>
    <ul>
      <xsl:for-each select="atom:entry">
        <li>
          <a href="{atom:link[@rel='alternate']/@href}"><strong><xsl:value-of select="atom:title"/></strong></a>
          <div class="meta">
            <xsl:value-of select="substring(atom:published, 1, 10)"/>
            <xsl:for-each select="atom:author"> · <xsl:value-of select="atom:name"/></xsl:for-each>
            <xsl:for-each select="atom:category"> · <xsl:value-of select="@label"/></xsl:for-each>
          </div>
          <div><xsl:value-of select="atom:summary"/></div>
          <xsl:for-each select="atom:link[@rel='enclosure']">
            <div><a href="{@href}" type="{@type}"><xsl:value-of select="@title"/></a>
              （<xsl:value-of select="format-number(@length div 1048576, '0.0')"/> MB）</div>
          </xsl:for-each>
        </li>
      </xsl:for-each>
    </ul>
    <xsl:if test="atom:link[@rel='prev-archive']">
      <p><a href="{atom:link[@rel='prev-archive']/@href}">更早的文章</a></p>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
