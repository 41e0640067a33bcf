// history.js: a step sent back with a mistake (a wrong code, a wrong
// password) is the answer to a POST. Back to it from the next step, or a
// reload, would make the browser ask to send the form again ("Confirm Form
// Resubmission"). Its history entry becomes the step's own address
// instead, which shows the step where the flow is now (or the page after
// it, once done).
(() => {
  const url = document.currentScript && document.currentScript.dataset.url;
  if (url) history.replaceState(history.state, "", url);
})();
