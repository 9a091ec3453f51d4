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
  // A link to one FAQ answer (faq/#slug) opens that answer.
  const openTarget = () => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target instanceof HTMLDetailsElement) target.open = true;
  };
  openTarget();
  window.addEventListener("hashchange", openTarget);
});
