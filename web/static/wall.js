// The wall view rotates through its region and the regions one level below, one every
// data-seconds, reading each from /dasbor/dinding/<code>?bagian=isi. F toggles full screen.
(function () {
  "use strict";
  var box = document.getElementById("isi");
  if (!box) { return; }
  var codes = (box.dataset.rotate || "").split(",").filter(Boolean);
  var seconds = Number(box.dataset.seconds || "20");
  var index = 0;
  if (codes.length > 1) {
    setInterval(function () {
      index = (index + 1) % codes.length;
      box.dataset.source = "/dasbor/dinding/" + codes[index];
      if (window.deskRefresh) { window.deskRefresh(); }
    }, seconds * 1000);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "f" || event.key === "F") {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else { document.documentElement.requestFullscreen().catch(function () {}); }
    }
  });
})();
