/* 引用本文: a 复制 (copy) button beside an article's reference, added only where the browser can copy to the
   clipboard (secure contexts). Without it, or without scripts, the reference is plain selectable text. */
(function () {
  "use strict";
  var text = document.getElementById("cite-text");
  if (!text || !window.isSecureContext || !navigator.clipboard) return;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "cite-copy";
  button.textContent = "复制";
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(text.textContent).then(
      function () { button.textContent = "已复制"; },
      function () { button.textContent = "请选中后复制"; }
    );
  });
  text.parentNode.appendChild(document.createTextNode(" "));
  text.parentNode.appendChild(button);
})();
