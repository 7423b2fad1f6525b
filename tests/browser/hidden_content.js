() => {
  /* Everything the browser tests count as hidden at a given width, as a list of problems (empty: none).
     - the page scrolls sideways;
     - a table or pre sticks out of the column without a scroll box that fits the column, or scrolls
       without a visible cue (data-hb-more: shadow and "scroll \u2192" hint), a keyboard stop or a name;
     - an element clips its content (overflow hidden) or sticks out of the column outside a scroll box.
     Visually hidden elements (1px boxes, e.g. the header row of a table shown as cards) are skipped. */
  const problems = [];
  const root = document.scrollingElement;
  if (root.scrollWidth > window.innerWidth + 1) problems.push(`page scrolls sideways: ${root.scrollWidth} > ${window.innerWidth}`);
  const content = document.querySelector('.md-content');
  if (!content) return problems;
  const edge = content.getBoundingClientRect().right + 1;
  const overflowX = el => getComputedStyle(el).overflowX;
  const scroller = el => {
    for (let e = el; e && e !== content; e = e.parentElement) {
      const o = overflowX(e);
      if ((o === 'auto' || o === 'scroll') && e.getBoundingClientRect().right <= edge) return e;
    }
    return null;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const text = el => (el.textContent || '').trim().slice(0, 40);
  for (const el of content.querySelectorAll('table, pre')) {
    const box = scroller(el);
    if (!box) {
      if (el.getBoundingClientRect().right > edge) problems.push(`${name(el)} "${text(el)}" overflows the column with no scroll container`);
      continue;
    }
    if (box.scrollWidth > box.clientWidth + 1) {
      if (!box.hasAttribute('data-hb-more')) problems.push(`${name(box)} "${text(el)}" scrolls with no visible cue`);
      if (box.tabIndex < 0) problems.push(`${name(box)} "${text(el)}" scrolls but the keyboard cannot reach it`);
      if (!box.getAttribute('aria-label')) problems.push(`${name(box)} "${text(el)}" scrolls but has no accessible name`);
    }
  }
  const srOnly = el => {
    for (let e = el; e && e !== content; e = e.parentElement) {
      const r = e.getBoundingClientRect();
      if (r.width <= 1 && r.height <= 1 && overflowX(e) !== 'visible') return true;
    }
    return false;
  };
  for (const el of content.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || srOnly(el)) continue;
    const o = overflowX(el);
    if ((o === 'hidden' || o === 'clip') && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} "${text(el)}" clips ${el.scrollWidth - el.clientWidth}px`);
    if (r.right > edge && !scroller(el)) problems.push(`${name(el)} "${text(el)}" sticks out of the column by ${Math.round(r.right - edge)}px`);
  }
  return problems;
}
