// Behaviour shared by every page. No inline script anywhere: the CSP forbids it.
// A form (or the button that submits it) with data-confirm asks before it is sent.
document.addEventListener("submit", function (event) {
  const form = event.target;
  const button = event.submitter;
  const message = form.getAttribute("data-confirm") || (button && button.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A button with data-print prints the page (the print stylesheet lays it out on A4).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
