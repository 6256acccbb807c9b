// The console's only script: the Content-Security-Policy runs no inline script or handler.
// A form with data-confirm="question" is sent only once the operator confirms (Discard).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
