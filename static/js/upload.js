// Dropping files on a [data-dropzone] puts them in its file input and lists their names.
// Without JavaScript the file input works as it is.
document.addEventListener("DOMContentLoaded", () => {
  for (const zone of document.querySelectorAll("[data-dropzone]")) {
    const input = zone.querySelector("input[type=file]");
    const list = zone.querySelector("[data-dropzone-list]");
    const show = () => {
      list.replaceChildren(
        ...Array.from(input.files, (file) => {
          const item = document.createElement("li");
          item.textContent = `${file.name} (${Math.ceil(file.size / 1024)} KiB)`;
          return item;
        }),
      );
    };
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      input.files = event.dataTransfer.files;
      show();
    });
    input.addEventListener("change", show);
    show(); // files chosen before this script ran

  }
});
