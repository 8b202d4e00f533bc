/* The report builder's pickers: another kind of record reloads the form with its own
   fields; filter rows and measures are added and removed in place (a filter row's
   operators and value widget come from the server when its field changes, via htmx). */
(function () {
  "use strict";
  const form = document.querySelector("[data-report-builder]");
  if (!form) { return; }

  const entity = form.querySelector("select[name=entity]");
  entity.addEventListener("change", function () {
    const url = new URL(window.location.href);
    url.searchParams.set("entity", entity.value);
    url.searchParams.set("name", form.querySelector("input[name=name]").value);
    window.location.assign(url.toString());
  });

  let nextRow = parseInt(form.dataset.nextRow, 10) || 0;
  const rows = form.querySelector("[data-filter-rows]");
  const addFilter = form.querySelector("[data-add-filter]");
  if (addFilter) addFilter.addEventListener("click", function () {
    const url = new URL(form.dataset.filterRowUrl, window.location.href);
    url.searchParams.set("entity", form.dataset.entity);
    url.searchParams.set("row", String(nextRow));
    nextRow += 1;
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        rows.insertAdjacentHTML("beforeend", html);
        const row = rows.lastElementChild;
        htmx.process(row);
        row.querySelector("select").focus();
      });
  });
  if (rows) rows.addEventListener("click", function (event) {
    const button = event.target.closest("[data-remove-row]");
    if (button) { button.closest("[data-filter-row]").remove(); }
  });

  form.querySelector("[data-add-measure]").addEventListener("click", function () {
    const next = form.querySelector("[data-measure][hidden]");
    if (next) {
      next.hidden = false;
      next.querySelector("select").focus();
    }
    if (!form.querySelector("[data-measure][hidden]")) { this.hidden = true; }
  });
})();
