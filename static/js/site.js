// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // In a "pick all that apply" group, ticking "none" clears the others and vice versa.
  document.querySelectorAll("[data-exclusive-none]").forEach((group) => {
    const boxes = Array.from(group.querySelectorAll("input[type=checkbox]"));
    boxes.forEach((box) => {
      box.addEventListener("change", () => {
        if (!box.checked) return;
        boxes.forEach((other) => {
          if (other === box) return;
          if (box.value === "none" || other.value === "none") other.checked = false;
        });
      });
    });
  });
  // Print buttons stay hidden until they can work.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
  // Escape folds the phone menu (a <details>, which opens without any script) and puts
  // the keyboard back on its button.
  document.addEventListener("keydown", (event) => {
    const menu = document.querySelector("details.site-menu[open]");
    if (event.key !== "Escape" || !menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });
  // A link to one FAQ answer (faq/#slug) opens that answer.
  const openTarget = () => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target instanceof HTMLDetailsElement) target.open = true;
  };
  openTarget();
  window.addEventListener("hashchange", openTarget);
});
