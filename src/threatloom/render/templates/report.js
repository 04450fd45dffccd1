(function () {
  "use strict";
  var table = document.getElementById("register");
  if (!table) { return; }
  var groups = Array.prototype.slice.call(table.tBodies);
  var search = groups.map(function (g) { return g.textContent.toLowerCase(); });
  var query = document.getElementById("f-text");
  var selects = {
    category: document.getElementById("f-category"),
    level: document.getElementById("f-level"),
    status: document.getElementById("f-status")
  };
  var count = document.getElementById("f-count");

  function applyFilter() {
    var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    groups.forEach(function (g, i) {
      var ok = words.every(function (w) { return search[i].indexOf(w) !== -1; });
      Object.keys(selects).forEach(function (key) {
        var want = selects[key].value;
        if (ok && want && g.getAttribute("data-" + key) !== want) { ok = false; }
      });
      g.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + groups.length + " threats";
  }

  var timer = null;
  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(applyFilter, groups.length > 2000 ? 150 : 0);
  });
  Object.keys(selects).forEach(function (key) { selects[key].addEventListener("change", applyFilter); });

  function sortValue(g, column, numeric) {
    var cell = g.rows[0].cells[column];
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent.trim(); }
    return numeric ? parseFloat(raw) || 0 : raw.toLowerCase();
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var numeric = th.getAttribute("data-type") === "number";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var keyed = groups.map(function (g, i) { return [sortValue(g, column, numeric), i, g]; });
      keyed.sort(function (a, b) {
        if (a[0] < b[0]) { return ascending ? -1 : 1; }
        if (a[0] > b[0]) { return ascending ? 1 : -1; }
        return a[1] - b[1];
      });
      var fragment = document.createDocumentFragment();
      keyed.forEach(function (k) { fragment.appendChild(k[2]); });
      table.appendChild(fragment);
    });
  });

  function toggle(g, open) {
    var button = g.querySelector("button.toggle");
    g.classList.toggle("open", open);
    if (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
  }
  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.toggle");
    if (button) { var g = button.closest("tbody"); toggle(g, !g.classList.contains("open")); }
  });
  function openFromHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "TBODY") { target.hidden = false; toggle(target, true); target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openFromHash);
  openFromHash();

  var expandAll = document.getElementById("f-expand");
  expandAll.addEventListener("click", function () {
    var open = expandAll.getAttribute("aria-pressed") !== "true";
    expandAll.setAttribute("aria-pressed", open ? "true" : "false");
    expandAll.textContent = open ? "Collapse all" : "Expand all";
    groups.forEach(function (g) { if (!g.hidden) { toggle(g, open); } });
  });

  var zoom = document.getElementById("diagram-zoom");
  var figure = document.getElementById("diagram");
  function setActualSize(full) {
    figure.classList.toggle("actual-size", full);
    zoom.textContent = full ? "Fit to width" : "Actual size";
  }
  if (zoom && figure) {
    zoom.addEventListener("click", function () { setActualSize(!figure.classList.contains("actual-size")); });
    var drawing = figure.querySelector("svg");
    var natural = drawing ? parseFloat(drawing.getAttribute("width")) * 4 / 3 : 0;
    // a drawing much wider than the page would shrink its labels below reading size: show it at size
    if (natural > figure.clientWidth * 1.6) { setActualSize(true); }
  }
  document.documentElement.classList.add("js");
  applyFilter();
})();
