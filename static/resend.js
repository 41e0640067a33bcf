// resend.js: while a new code or link must wait, its button is disabled
// and the wait is said in words; the portal enables it on the next page
// load. Here the button comes on in place once the wait is over, so a
// person who waited need not know to reload. Without scripts the page
// works as before.
(() => {
  for (const b of document.querySelectorAll("button[data-resend-after]")) {
    if (b.dataset.resendArmed) continue; // the script is on the page once per button
    b.dataset.resendArmed = "1";
    setTimeout(() => {
      const said = document.getElementById(b.getAttribute("aria-describedby"));
      if (said) said.textContent = b.dataset.resendReady;
      b.disabled = false;
    }, Number(b.dataset.resendAfter) * 1000);
  }
})();
