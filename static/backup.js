// backup.js: "Copy all", "Download" and "Print" for new backup codes, as
// Clerk's account page offers them. Without scripts the buttons stay
// hidden and the codes are text to select. The codes never leave the page
// but for the clipboard, a file the browser makes itself (a Blob URL: no
// request) and the printer; nothing is fetched, sent or kept.
(() => {
  for (const box of document.querySelectorAll("[data-backup-codes][hidden]")) {
    const list = document.getElementById(box.dataset.backupCodes);
    const status = document.querySelector("[data-backup-status]");
    if (!list || !status) continue;
    box.hidden = false; // armed: a shown box is not taken again
    const codes = () => [...list.querySelectorAll("code")].map((c) => c.textContent.trim()).join("\n") + "\n";
    // The live region speaks what changes in it; saying the same words
    // again after a second copy needs them cleared first.
    const say = (text) => {
      status.textContent = "";
      setTimeout(() => { status.textContent = text; }, 50);
    };
    const selectCodes = () => {
      const range = document.createRange();
      range.selectNodeContents(list);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    };

    box.querySelector("[data-backup-copy]")?.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(codes());
        say(box.dataset.copied);
      } catch {
        // No clipboard for this page (an insecure origin, a refusal):
        // the codes are selected for the person to copy.
        selectCodes();
        say(box.dataset.copyFailed);
      }
    });

    box.querySelector("[data-backup-download]")?.addEventListener("click", () => {
      const file = new Blob([box.dataset.fileHeading + "\n\n" + codes()], { type: "text/plain;charset=utf-8" });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(file);
      a.download = box.dataset.fileName;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    });

    box.querySelector("[data-backup-print]")?.addEventListener("click", () => window.print());
  }
})();
