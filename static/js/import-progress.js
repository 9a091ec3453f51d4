// The import page's progress bar follows the import: it asks the status endpoint once a
// second and shows the new counts; when the import is over, the page is loaded again to
// show its summary. Without JavaScript, the page's "Refresh" link does the same by hand.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-import-status]");
  if (!box) return;
  const url = box.dataset.importStatus;
  const bar = box.querySelector("progress");
  const show = (status) => {
    box.querySelectorAll("[data-field]").forEach((element) => {
      const value = status[element.dataset.field];
      if (value !== undefined) element.textContent = String(value);
    });
    bar.value = status.percent;
    bar.textContent = `${status.percent}%`;
  };
  const poll = async () => {
    let delay = 1000;
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const status = await response.json();
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
      } else {
        delay = 5000;
      }
    } catch {
      delay = 5000;
    }
    window.setTimeout(poll, delay);
  };
  window.setTimeout(poll, 1000);
});
