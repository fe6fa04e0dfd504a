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

// 我的工作台: a 记录跟进 link opens the page's one follow-up form under its item, aimed at that item.
// (One form instead of one per item keeps a desk of hundreds of items light on a phone.)
document.addEventListener("click", function (event) {
  const link = event.target.closest("[data-follow-up]");
  const box = document.getElementById("desk-follow-up");
  if (!link || !box) {
    return;
  }
  event.preventDefault();
  const item = link.closest(".desk-item");
  const form = box.querySelector("form");
  const open = !box.hidden && box.parentElement === item;
  document.querySelectorAll("[data-follow-up]").forEach(function (other) {
    other.setAttribute("aria-expanded", "false");
  });
  if (open) {
    box.hidden = true;
    return;
  }
  if (form.getAttribute("action") !== link.getAttribute("data-follow-up")) {
    form.reset(); // what was typed for another item never goes to this one
  }
  form.setAttribute("action", link.getAttribute("data-follow-up"));
  box.querySelector("[data-follow-up-title]").textContent = "本次跟进：" + link.getAttribute("data-follow-up-name");
  item.appendChild(box);
  box.hidden = false;
  link.setAttribute("aria-expanded", "true");
  form.querySelector("[name=content]").focus();
});
