// The served desk's page (watchdesk/web/templates/index.html). textual.js has just set
// window.onload to open the terminal; open it only once the bundled font has loaded (xterm.js
// measures its cells when it opens: measured with a fallback font, the grid would be wrong),
// and point it at this page's own websocket, whatever address the browser used.
(function () {
  const openTerminal = window.onload;
  window.onload = function (event) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    document.getElementById("terminal").dataset.sessionWebsocketUrl = scheme + "//" + window.location.host + "/ws";
    document.querySelectorAll("[data-restart]").forEach(function (button) {
      button.addEventListener("click", function () { window.location.reload(); });
    });
    const faces = ["16px 'Roboto Mono'", "bold 16px 'Roboto Mono'"].map(function (face) {
      return document.fonts.load(face);
    });
    Promise.allSettled(faces).then(function () { openTerminal(event); });
  };
})();
