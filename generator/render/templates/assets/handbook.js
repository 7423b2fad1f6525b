/* Handbook tables: progressive enhancement only (pages read the same with JavaScript off).
   - a table wider than its column: its scroll box gets a keyboard stop, a name, and a
     "scroll →" hint while there is more to see;
   - a table of four or more columns: every cell gets its column's name (data-label), so the
     stylesheet can stack rows as cards on a phone. */
(function () {
  "use strict";

  function box(table) {
    return table.closest(".md-typeset__scrollwrap") || table;
  }

  function nameOf(table) {
    var caption = table.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var el = box(table).previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) return el.textContent.replace(/¶$/, "").trim();
    }
    var heading = document.querySelector("article h1");
    return heading ? heading.textContent.replace(/¶$/, "").trim() : "Table";
  }

  function label(table) {
    if (table.dataset.hbReady) return;
    table.dataset.hbReady = "1";
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (headers.length >= 4) {
      table.setAttribute("data-hb-cards", "");
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (headers[index]) cell.setAttribute("data-label", headers[index]);
        });
      });
    }
  }

  function cue(table) {
    var scroller = box(table);
    if (scroller !== table) ["tabindex", "role", "aria-label", "data-hb-more"].forEach(function (name) { table.removeAttribute(name); });
    var more = scroller.scrollWidth > scroller.clientWidth + 1;
    var hint = scroller.nextElementSibling;
    if (!hint || !hint.classList.contains("hb-scroll-hint")) {
      hint = document.createElement("p");
      hint.className = "hb-scroll-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = "scroll →";
      scroller.parentNode.insertBefore(hint, scroller.nextSibling);
    }
    scroller.toggleAttribute("data-hb-more", more);
    if (more) {
      scroller.setAttribute("tabindex", "0");
      scroller.setAttribute("role", "region");
      scroller.setAttribute("aria-label", nameOf(table) + " (table, scrolls sideways)");
    } else if (scroller.getAttribute("role") === "region") {
      scroller.removeAttribute("tabindex");
      scroller.removeAttribute("role");
      scroller.removeAttribute("aria-label");
    }
  }

  /* The theme's search box is a dialog without a name: give it one. */
  function nameSearch() {
    var search = document.querySelector(".md-search[role='dialog']");
    if (search && !search.getAttribute("aria-label")) search.setAttribute("aria-label", "Search the handbook");
  }

  function update() {
    nameSearch();
    document.querySelectorAll(".md-typeset table:not([class])").forEach(function (table) {
      label(table);
      cue(table);
    });
    /* Marker: the tables have been measured at this width (browser tests wait for it). */
    document.documentElement.setAttribute("data-hb-width", String(window.innerWidth));
  }

  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; update(); });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { setTimeout(update, 0); });
  }
  update();
  window.addEventListener("load", update);
  window.addEventListener("resize", later);
})();
