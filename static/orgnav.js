// orgnav.js: on a phone the organization tabs scroll sideways in one line.
// The current tab should be in view when the page opens: browsers that
// know CSS scroll-initial-target do that themselves, and this does it for
// the others. A tab the keyboard reaches comes wholly into view, clear of
// the shadows at the edges (browsers stop at "mostly"). Only the tabs
// scroll, never the page.
(() => {
  const reveal = (nav, tab) => {
    const pad = parseFloat(getComputedStyle(nav).scrollPaddingLeft) || 0;
    const box = nav.getBoundingClientRect(), r = tab.getBoundingClientRect();
    if (r.right > box.right - pad) nav.scrollBy({ left: r.right - box.right + pad });
    else if (r.left < box.left + pad) nav.scrollBy({ left: r.left - box.left - pad });
  };
  for (const nav of document.querySelectorAll(".cl-orgNav")) {
    if (nav.dataset.armed) continue; // once, should the script run twice
    nav.dataset.armed = "1";
    const current = nav.querySelector('[aria-current="page"]');
    if (current && nav.scrollWidth > nav.clientWidth) reveal(nav, current);
    nav.addEventListener("focusin", (e) => {
      if (nav.scrollWidth > nav.clientWidth && e.target.matches(".cl-orgNavItem")) reveal(nav, e.target);
    });
  }
})();
