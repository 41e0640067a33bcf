// resend.js: while a new code or link must wait, its button is disabled
// and the wait is said in words; the portal enables it on the next page
// load. Here the button comes on in place once the wait is over, so a
// person who waited need not know to reload, and a screen reader says
// so without the focus moving. Without scripts the page works as before.
(() => {
  for (const b of document.querySelectorAll("button[data-resend-after]")) {
    if (b.dataset.resendArmed) continue; // once, should the script run twice
    b.dataset.resendArmed = "1";
    setTimeout(() => {
      // On first, then the words: the words' change is what a screen
      // reader announces (the form is a polite live region, read whole),
      // and by then the button it names is on.
      b.disabled = false;
      const said = document.getElementById(b.getAttribute("aria-describedby"));
      if (said) said.textContent = b.dataset.resendReady;
    }, Number(b.dataset.resendAfter) * 1000);
  }
})();
