/* Compare levels (compare/): progressive enhancement only. With JavaScript off the page shows
   one comparison and links to every step; with it on, two labelled pickers show any two levels.
   The pairing is computed at build time (generator/level_compare.py) and embedded as JSON: this
   script only draws it, with textContent (never HTML from data). */
(function () {
  "use strict";

  var CHANGE = { raised: "raised", "new": "new", carried: "carried over" };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function criterionCell(data, hrefs, id) {
    var cell = el("td");
    var c = data.criteria[id];
    if (!c) { cell.textContent = id; return cell; }
    var base = hrefs[c.level];
    var link = el("a", c.text);
    if (base) link.href = base.split("#")[0] + "#" + id;
    cell.appendChild(link);
    return cell;
  }

  function table(data, hrefs, first, second, rows) {
    var wrap = el("div", null, "md-typeset__scrollwrap");
    var inner = el("div", null, "md-typeset__table");
    var t = el("table");
    var head = el("thead"), tr = el("tr");
    [first.title, second.title, "Change"].forEach(function (name) { tr.appendChild(el("th", name)); });
    head.appendChild(tr);
    t.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (row) {
      var kind = row[0], line = el("tr");
      line.appendChild(row[1] ? criterionCell(data, hrefs, row[1]) : el("td", "—"));
      if (kind === "carried") line.appendChild(el("td", "still expected"));
      else if (kind === "dropped") line.appendChild(el("td", "not expected"));
      else line.appendChild(criterionCell(data, hrefs, row[2]));
      var mark = el("td");
      mark.appendChild(el("span", kind === "dropped" ? "only at " + first.title : CHANGE[kind], "hb-" + kind));
      line.appendChild(mark);
      body.appendChild(line);
    });
    t.appendChild(body);
    inner.appendChild(t);
    wrap.appendChild(inner);
    return wrap;
  }

  function show(data, hrefs, result, a, b) {
    result.textContent = "";
    var pair = data.pairs[a + " " + b] || data.pairs[b + " " + a];
    var first, second;
    if (pair) {
      first = data.levels[pair.first]; second = data.levels[pair.second];
    } else {
      first = second = data.levels[a];
    }
    var heading = el("h2", first.title + " → " + second.title);
    heading.id = "hb-compare-picked";
    result.appendChild(heading);
    if (pair && pair.first !== a) {
      result.appendChild(el("p", second.title + " sits below " + first.title + ": shown lowest first."));
    }
    if (!pair) {
      result.appendChild(el("p", "The same level twice: pick two different levels."));
      return;
    }
    data.dimensions.forEach(function (dim) {
      var rows = pair.rows[dim.id] || [];
      if (!rows.length) return;
      result.appendChild(el("h3", dim.name));
      result.appendChild(table(data, hrefs, first, second, rows));
    });
    window.dispatchEvent(new Event("resize"));  /* handbook.js: scroll cues for the new tables */
  }

  function hideDefault() {
    var start = document.getElementById("hb-compare-default");
    var end = document.getElementById("hb-compare-end");
    for (var node = start; node && node !== end; node = node.nextElementSibling) node.hidden = true;
  }

  function setup() {
    var form = document.getElementById("hb-compare");
    var source = document.getElementById("hb-compare-data");
    if (!form || !source || form.dataset.hbReady) return;
    form.dataset.hbReady = "1";
    var data = JSON.parse(source.textContent);
    var hrefs = {};
    document.querySelectorAll("a[data-hb-level]").forEach(function (a) {
      hrefs[a.getAttribute("data-hb-level")] = a.getAttribute("href");
    });
    var first = document.getElementById("hb-compare-first");
    var second = document.getElementById("hb-compare-second");
    var result = document.getElementById("hb-compare-result");
    function update() { show(data, hrefs, result, first.value, second.value); }
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    first.addEventListener("change", update);
    second.addEventListener("change", update);
    form.hidden = false;
    hideDefault();
    update();
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { setTimeout(setup, 0); });
  }
  setup();
  window.addEventListener("load", setup);
})();

/* Ladder filters (ladder/): show one track and/or one dimension. With JavaScript off the form stays
   hidden and the whole ladder is shown. Columns are marked by <span data-hb-dim> in their header. */
(function () {
  "use strict";

  function section(heading) {
    var nodes = [heading];
    for (var node = heading.nextElementSibling; node && node.tagName !== "H2"; node = node.nextElementSibling) {
      nodes.push(node);
    }
    return nodes;
  }

  /* One class per filter, so that showing every dimension never shows a track filtered out. */
  function off(node, hide, by) { node.classList.toggle("hb-filtered-out-" + (by || "dimension"), hide); }

  function apply(track, dimension) {
    document.querySelectorAll("article h2[data-hb-track]").forEach(function (heading) {
      var hide = track !== "" && heading.getAttribute("data-hb-track") !== track;
      section(heading).forEach(function (node) { off(node, hide, "track"); });
    });
    document.querySelectorAll("article table").forEach(function (table) {
      var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
      var shown = 0, marked = 0;
      headers.forEach(function (th, index) {
        var dim = th.querySelector("[data-hb-dim]");
        if (!dim) return;
        marked += 1;
        var hide = dimension !== "" && dim.getAttribute("data-hb-dim") !== dimension;
        if (!hide) shown += 1;
        off(th, hide);
        table.querySelectorAll("tbody tr").forEach(function (row) {
          if (row.children[index]) off(row.children[index], hide);
        });
      });
      if (!marked) return;
      var box = table.closest(".md-typeset__scrollwrap") || table;
      off(box, shown === 0);
      var title = box.previousElementSibling;
      if (title && title.classList.contains("hb-ladder-group")) off(title, shown === 0);
    });
    window.dispatchEvent(new Event("resize"));  /* handbook.js: scroll cues follow the new widths */
  }

  function setup() {
    var form = document.getElementById("hb-ladder-filters");
    if (!form || form.dataset.hbReady) return;
    form.dataset.hbReady = "1";
    var track = document.getElementById("hb-ladder-track");
    var dimension = document.getElementById("hb-ladder-dimension");
    function update() { apply(track.value, dimension.value); }
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    track.addEventListener("change", update);
    dimension.addEventListener("change", update);
    form.hidden = false;
    update();
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { setTimeout(setup, 0); });
  }
  setup();
  window.addEventListener("load", setup);
})();
