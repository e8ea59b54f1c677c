/* procflow map viewer: zoom (presets, − and +, Ctrl + wheel), drag to pan, and find a step;
   and the filter panel's slider value (at the end).
   Without it the page still works: the zoom links reload the page and the map scrolls. */
(function () {
  "use strict";
  var PX_PER_PT = 4 / 3;  /* 100% is the drawing's natural size: 1 pt = 4/3 CSS px */
  var MIN = 0.05, MAX = 4, STEP = 1.25, READABLE = 0.8;
  /* opened without a zoom in the address: fitted to the width, never enlarged, and never
     below this share of the natural size (labels stay readable; the map then scrolls) */
  var OPEN_FLOOR = 0.75;

  function norm(text) {
    return text.toLowerCase().replace(/…/g, " ").replace(/\s+/g, " ").trim();
  }

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function setup(figure, tools, presets, note) {
    var svg = figure.querySelector("svg");
    if (!svg || !svg.viewBox || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) return;
    var box = svg.viewBox.baseVal;
    var natural = { w: box.width * PX_PER_PT, h: box.height * PX_PER_PT };
    var scaleOut = tools.querySelector("output.scale");
    var found = tools.querySelector(".found");
    var input = tools.querySelector("input[type=search]");
    var scale = 1;
    var hits = [], current = -1, lastQuery = "";

    function fitScale() {
      return Math.max(MIN, Math.min(MAX, (figure.clientWidth - 16) / natural.w));
    }

    function apply(next, atX, atY) {
      next = Math.max(MIN, Math.min(MAX, next));
      if (atX === undefined) { atX = figure.clientWidth / 2; atY = figure.clientHeight / 2; }
      var x = (figure.scrollLeft + atX) / scale, y = (figure.scrollTop + atY) / scale;
      scale = next;
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      svg.style.width = natural.w * scale + "px";
      svg.style.height = natural.h * scale + "px";
      svg.style.maxWidth = "none";
      figure.scrollLeft = x * scale - atX;
      figure.scrollTop = y * scale - atY;
      scaleOut.textContent = Math.round(scale * 100) + "%";
      figure.dataset.scale = String(Math.round(scale * 100));
    }

    function mark(preset) {
      each(presets, function (a) { a.removeAttribute("aria-current"); });
      if (preset) preset.setAttribute("aria-current", "true");
    }

    function remember(zoom, href) {
      /* the chosen preset stays in the address and in the forms that redraw the page */
      figure.dataset.zoom = zoom;
      figure.classList.toggle("zoomed", zoom !== "100" && zoom !== "fit");
      if (window.history && window.history.replaceState) window.history.replaceState(null, "", href);
      each(document.querySelectorAll("form[method=get]"), function (form) {
        var field = form.querySelector("input[name=zoom]");
        if (!field) {
          field = document.createElement("input");
          field.type = "hidden";
          field.name = "zoom";
          form.appendChild(field);
        }
        field.value = zoom;
      });
    }

    function preset(zoom) {
      apply(zoom === "fit" ? fitScale() : (parseInt(zoom, 10) || 100) / 100, 0, 0);
      figure.scrollTop = 0;
      if (start) centre(start, false);
      figure.scrollTop = 0;
    }

    function centre(node, readable) {
      if (readable && scale < READABLE) apply(1);
      var r = node.getBoundingClientRect(), f = figure.getBoundingClientRect();
      figure.scrollLeft += r.left + r.width / 2 - (f.left + figure.clientLeft + figure.clientWidth / 2);
      figure.scrollTop += r.top + r.height / 2 - (f.top + figure.clientTop + figure.clientHeight / 2);
    }

    var start = Array.prototype.filter.call(svg.querySelectorAll("g.node"), function (node) {
      var title = node.querySelector("title");
      return title && title.textContent === "start";
    })[0];
    figure.classList.add("viewer");
    if (figure.dataset.open === "auto") {
      apply(Math.max(OPEN_FLOOR, Math.min(1, (figure.clientWidth - 16) / natural.w)), 0, 0);
      figure.scrollTop = 0;
      if (start) centre(start, false);
      figure.scrollTop = 0;
      if (scale !== 1) mark(null);
    } else {
      preset(figure.dataset.zoom);
    }
    tools.hidden = false;
    if (note) note.hidden = false;

    each(presets, function (a) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        preset(a.dataset.zoom);
        mark(a);
        remember(a.dataset.zoom, a.href);
      });
    });

    tools.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) return;
      apply(button.dataset.zoom === "in" ? scale * STEP : scale / STEP);
      mark(null);
    });

    figure.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      var rect = figure.getBoundingClientRect();
      apply(scale * (event.deltaY < 0 ? STEP : 1 / STEP),
            event.clientX - rect.left, event.clientY - rect.top);
      mark(null);
    }, { passive: false });

    figure.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") apply(scale * STEP);
      else if (event.key === "-") apply(scale / STEP);
      else return;
      event.preventDefault();
      mark(null);
    });

    var drag = null;
    figure.addEventListener("pointerdown", function (event) {
      var r = figure.getBoundingClientRect();
      var onBars = event.clientX - r.left >= figure.clientLeft + figure.clientWidth ||
                   event.clientY - r.top >= figure.clientTop + figure.clientHeight;
      var onLink = event.target.closest && event.target.closest("a");  /* a step's cases */
      if (event.button !== 0 || onBars || onLink) return;
      drag = { x: event.clientX, y: event.clientY, left: figure.scrollLeft,
               top: figure.scrollTop, id: event.pointerId };
      figure.setPointerCapture(event.pointerId);
      figure.classList.add("dragging");
    });
    figure.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      figure.scrollLeft = drag.left - (event.clientX - drag.x);
      figure.scrollTop = drag.top - (event.clientY - drag.y);
    });
    function stop() { drag = null; figure.classList.remove("dragging"); }
    figure.addEventListener("pointerup", stop);
    figure.addEventListener("pointercancel", stop);

    function name(node) {
      var lines = Array.prototype.map.call(node.querySelectorAll("text"),
                                           function (t) { return t.textContent; });
      if (lines.length > 1) lines.pop();  /* the last line is the figure, not the name */
      return norm(lines.join(" "));
    }

    function matches(query) {
      var exact = [], partial = [];
      each(svg.querySelectorAll("g.node"), function (node) {
        var label = name(node);
        if (!label) return;
        if (label === query) exact.push(node);
        else if (label.indexOf(query) >= 0 || query.indexOf(label) === 0) partial.push(node);
      });
      return exact.concat(partial);
    }

    function show() {
      svg.classList.toggle("searching", hits.length > 0);
      each(svg.querySelectorAll("g.node.hit"), function (n) { n.classList.remove("hit", "current"); });
      hits.forEach(function (n) { n.classList.add("hit"); });
      if (!hits.length) return;
      hits[current].classList.add("current");
      centre(hits[current], true);
      found.textContent = tools.dataset.count.replace("{n}", String(current + 1))
                                             .replace("{total}", String(hits.length));
    }

    tools.querySelector("form.find").addEventListener("submit", function (event) {
      event.preventDefault();
      var query = norm(input.value);
      if (!query) { hits = []; found.textContent = ""; show(); return; }
      if (query === lastQuery && hits.length) {
        current = (current + 1) % hits.length;
      } else {
        hits = matches(query);
        current = 0;
        lastQuery = query;
      }
      if (!hits.length) found.textContent = tools.dataset.none.replace("{q}", input.value);
      show();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var figure = document.querySelector("figure.map");
    var tools = document.querySelector(".maptools");
    if (figure && tools) {
      setup(figure, tools, document.querySelectorAll("p.zoom a[data-zoom]"),
            document.querySelector(".maptools-note"));
    }
  });
})();

/* The filter panel: a slider's value shown beside it. Without it the form still works. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=range][data-output]"),
      function (input) {
        var out = document.getElementById(input.getAttribute("data-output"));
        if (!out) return;
        input.addEventListener("input", function () { out.value = input.value; });
      });
  });
})();

/* The log page's drawings that load after the page: each placeholder ("drawing…") is
   replaced by the drawing at its data-drawing address. Without script each placeholder
   links to its drawing. */
(function () {
  "use strict";
  function load(box) {
    var failed = function () {
      box.removeAttribute("aria-busy");
      box.querySelector("p").textContent = box.getAttribute("data-failed");
      box.classList.add("failed");
    };
    fetch(box.getAttribute("data-drawing"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        box.replaceWith(holder.content);
      }, failed);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("div.deferred[data-drawing]"), load);
  });
})();
