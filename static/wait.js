// wait.js: the page that waits for an emailed link asks the portal every
// few seconds, in the background, whether the link was opened, and reloads
// only when it was. Reloading on a timer instead would move the page under
// a reader's eyes and a screen reader's cursor every few seconds (WCAG
// 2.2.1); without scripts, the page's <noscript> refresh does that.
(() => {
  const every = (Number(document.currentScript.dataset.seconds) || 3) * 1000;
  const ask = async () => {
    try {
      const r = await fetch(location.href, {
        headers: { "X-Portal-Wait": "1" },
        cache: "no-store",
        credentials: "same-origin",
        redirect: "manual",
      });
      if (r.status !== 204) { // 205: the link was opened; anything else: something changed
        location.reload();
        return;
      }
    } catch {
      // offline for a moment: ask again
    }
    setTimeout(ask, every);
  };
  setTimeout(ask, every);
})();
