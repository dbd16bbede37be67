// LatentBench leaderboard site: sortable tables (numeric-aware), provenance and figure dialogs. No dependencies.
"use strict";
(function () {
  // sort key of a cell: its data-v (the raw number or text) else its text; numbers sort before text
  function key(td) {
    var raw = td.hasAttribute("data-v") ? td.getAttribute("data-v") : td.textContent;
    var n = raw.trim() === "" ? NaN : Number(raw);
    return { num: isFinite(n) ? n : null, text: raw.trim().toLowerCase(), empty: raw.trim() === "" };
  }
  function compare(a, b) {
    if (a.empty !== b.empty) return a.empty ? 1 : -1;            // empty cells always last
    if (a.num !== null && b.num !== null) return a.num - b.num;
    if (a.num !== null) return -1;
    if (b.num !== null) return 1;
    return a.text.localeCompare(b.text, undefined, { numeric: true });
  }
  function sortBy(table, col, th) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    Array.prototype.forEach.call(table.tBodies, function (tbody) {
      var rows = Array.prototype.slice.call(tbody.rows);
      var keyed = rows.map(function (r, i) { return { row: r, k: key(r.cells[col]), i: i }; });
      keyed.sort(function (x, y) {
        var c = compare(x.k, y.k);
        if (x.k.empty || y.k.empty) return c || x.i - y.i;         // empties stay last either way
        return (asc ? c : -c) || x.i - y.i;
      });
      keyed.forEach(function (x) { tbody.appendChild(x.row); });
    });
  }
  document.querySelectorAll("table.board").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      var button = th.querySelector("button.sort");
      if (button) button.addEventListener("click", function () { sortBy(table, col, th); });
    });
  });

  // a table wider than its box gets a line above it saying how many columns lie beyond the right edge
  function hints() {
    document.querySelectorAll("div.scroll").forEach(function (box) {
      var hint = box.previousElementSibling;
      if (!hint || !hint.classList.contains("scroll-hint")) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        box.parentNode.insertBefore(hint, box);
      }
      var edge = box.getBoundingClientRect().right;
      var head = box.querySelectorAll("thead th");
      var hidden = Array.prototype.filter.call(head, function (th) { return th.getBoundingClientRect().right > edge + 1; }).length;
      hint.hidden = hidden === 0;
      hint.textContent = hidden ? hidden + " more column" + (hidden > 1 ? "s" : "") + " to the right: scroll the table sideways →" : "";
    });
  }
  hints();
  window.addEventListener("resize", hints);
  document.querySelectorAll("div.scroll").forEach(function (box) { box.addEventListener("scroll", hints); });

  var prov = document.getElementById("prov-dialog");
  document.querySelectorAll("a.prov-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var block = document.getElementById(a.getAttribute("data-prov"));
      if (!block || !prov || !prov.showModal) return;                // no dialog support: follow the link
      ev.preventDefault();
      var content = prov.querySelector(".content");
      content.replaceChildren(block.cloneNode(true));
      content.firstChild.removeAttribute("id");
      prov.showModal();
    });
  });

  var zoom = document.getElementById("zoom-dialog");
  document.querySelectorAll("figure.fig a.zoom").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      if (!zoom || !zoom.showModal) return;                           // no dialog support: open the PNG
      ev.preventDefault();
      var img = zoom.querySelector("img");
      img.src = a.getAttribute("href");
      img.alt = (a.querySelector("img") || {}).alt || "";
      zoom.showModal();
    });
  });
  [prov, zoom].forEach(function (d) {
    if (d) d.addEventListener("click", function (ev) { if (ev.target === d) d.close(); });  // click outside closes
  });
})();
