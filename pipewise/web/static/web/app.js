/* Pipewise workspace behaviour: toasts, the pipeline board's drag and drop, charts. */
(function () {
  "use strict";

  function csrfToken() {
    const headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function toast(message, tone) {
    const box = document.getElementById("toasts");
    if (!box) { window.alert(message); return; }
    const el = document.createElement("div");
    el.className = "toast align-items-center border-0 text-bg-" + (tone || "dark");
    el.setAttribute("role", tone === "danger" ? "alert" : "status");
    el.innerHTML = '<div class="d-flex"><div class="toast-body"></div>' +
      '<button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast" aria-label="Close"></button></div>';
    el.querySelector(".toast-body").textContent = message;
    box.appendChild(el);
    const t = new bootstrap.Toast(el, { delay: tone === "danger" ? 8000 : 4000 });
    el.addEventListener("hidden.bs.toast", () => el.remove());
    t.show();
  }
  window.pipewiseToast = toast;

  // Server-sent notices from htmx responses (HX-Trigger: {"toast": {...}}).
  document.body.addEventListener("toast", function (event) {
    toast(event.detail.message, event.detail.tone);
  });
  // A refused htmx request (4xx) still shows its answer where it was aimed.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422 || event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // ---- pipeline board ---------------------------------------------------------------
  function askLostReason() {
    return new Promise(function (resolve) {
      const modalEl = document.getElementById("lost-modal");
      const form = modalEl.querySelector("form");
      const modal = bootstrap.Modal.getOrCreateInstance(modalEl);
      let answered = false;
      form.reset();
      form.onsubmit = function (e) {
        e.preventDefault();
        const data = new FormData(form);
        const reason = (data.get("other") || "").trim() || data.get("reason") || "";
        if (!reason) { form.querySelector("select").focus(); return; }
        answered = true;
        modal.hide();
        resolve({ reason: reason, competitor: (data.get("competitor") || "").trim() });
      };
      modalEl.addEventListener("hidden.bs.modal", function once() {
        modalEl.removeEventListener("hidden.bs.modal", once);
        if (!answered) resolve(null);
      });
      modal.show();
    });
  }

  function putBack(evt) {
    const item = evt.item;
    const ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(item, ref);
  }

  function updateColumns(columns) {
    Object.keys(columns).forEach(function (stageId) {
      const head = document.querySelector('[data-column-head="' + stageId + '"]');
      if (!head) return;
      head.querySelector("[data-count]").textContent = columns[stageId].count;
      const word = head.querySelector("[data-count-word]");
      if (word) word.textContent = columns[stageId].count === 1 ? "deal" : "deals";
      head.querySelector("[data-sum]").textContent = columns[stageId].amount;
    });
  }

  async function moveCard(evt) {
    const item = evt.item;
    const toStage = evt.to.dataset.stage;
    if (evt.from === evt.to) return;
    let extra = {};
    if (evt.to.dataset.kind === "lost") {
      const answer = await askLostReason();
      if (!answer) { putBack(evt); if (evt.keepFocus) focusCard(item); return; }
      extra = { lost_reason: answer.reason, competitor: answer.competitor };
    }
    const board = evt.to.closest(".board");
    const body = new URLSearchParams(Object.assign({
      stage: toStage,
      version: item.dataset.version,
      owner: board ? board.dataset.owner : "",
      stalled: board ? board.dataset.stalled : "",  // the column figures answer for the same filter
    }, extra));
    item.classList.add("is-saving");
    let response, data;
    try {
      response = await fetch(item.dataset.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
        body: body,
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (e) {
      data = { ok: false, message: "The server could not be reached; the deal was not moved." };
    }
    item.classList.remove("is-saving");
    if (!data.ok) {
      putBack(evt);
      if (evt.keepFocus) focusCard(item);
      toast(data.message, "danger");
      if (data.columns) updateColumns(data.columns);
      return;
    }
    item.dataset.version = data.version;
    if (data.card) {
      const wrapper = document.createElement("div");
      wrapper.innerHTML = data.card.trim();
      const fresh = wrapper.firstElementChild;
      item.replaceWith(fresh);
      // A keyboard move keeps the focus on the moved card, in its new column.
      if (evt.keepFocus) focusCard(fresh);
    }
    updateColumns(data.columns);
    toast(data.message, "success");
  }

  function focusCard(card) {
    const select = card.querySelector("select[data-move-select]");
    (select || card).focus();
  }

  function initBoard(root) {
    if (!window.Sortable) return;
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list._sortable) return;
      list._sortable = Sortable.create(list, {
        group: "board-" + root.dataset.pipeline,
        draggable: ".opp-card",
        filter: ".load-more, a, button",
        preventOnFilter: false,
        animation: 120,
        delay: 120,
        delayOnTouchOnly: true,
        onEnd: moveCard,
      });
    });
  }

  // The stages of a card's "Move to" list are filled in when it is first used (one shared
  // <template> instead of every stage on every card keeps the board page small).
  function fillMoveSelect(select) {
    if (select.dataset.filled) return;
    const source = document.getElementById("stage-options");
    if (!source) return;
    source.content.querySelectorAll("option").forEach(function (option) {
      if (option.value !== select.dataset.current) select.appendChild(option.cloneNode(true));
    });
    select.dataset.filled = "1";
  }
  ["focusin", "mousedown", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      const select = e.target.closest && e.target.closest("select[data-move-select]");
      if (select) fillMoveSelect(select);
    }, true);
  });

  // Keyboard alternative to dragging: choosing a stage in a card's "Move to" list only picks
  // it (arrow keys browse the stages); Enter or the card's "Move" button posts the same move.
  document.addEventListener("change", function (e) {
    const select = e.target.closest("select[data-move-select]");
    if (!select) return;
    const button = select.closest(".opp-card").querySelector("[data-move-button]");
    if (button) button.disabled = !select.value;
  });

  function moveToChosen(card) {
    const select = card.querySelector("select[data-move-select]");
    if (!select || !select.value) return;
    const target = document.querySelector('[data-sortable][data-stage="' + select.value + '"]');
    if (!target) return;
    const from = card.parentElement;
    const oldIndex = Array.prototype.indexOf.call(from.children, card);
    target.insertBefore(card, target.firstElementChild);
    moveCard({ item: card, from: from, to: target, oldIndex: oldIndex, keepFocus: true });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    const select = e.target.closest && e.target.closest("select[data-move-select]");
    if (!select || !select.value) return;
    e.preventDefault();
    moveToChosen(select.closest(".opp-card"));
  });
  document.addEventListener("click", function (e) {
    const button = e.target.closest && e.target.closest("[data-move-button]");
    if (button) moveToChosen(button.closest(".opp-card"));
  });

  // ---- formsets whose rows are added, re-ordered and removed (the stages of a process) ----
  function renumber(rows) {
    rows.querySelectorAll("tr[data-formset-row]").forEach(function (row, index) {
      const order = row.querySelector('input[name$="-order"]');
      if (order) order.value = index + 1;
    });
  }
  document.addEventListener("click", function (e) {
    const add = e.target.closest && e.target.closest("[data-formset-add]");
    if (add) {
      const prefix = add.dataset.formsetAdd;
      const rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
      const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      const template = document.getElementById(prefix + "-empty-row");
      const index = parseInt(total.value, 10);
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
      total.value = index + 1;
      renumber(rows);
      const fresh = rows.lastElementChild.querySelector('input[name$="-name"]');
      if (fresh) fresh.focus();
      return;
    }
    const move = e.target.closest && e.target.closest("[data-row-move]");
    if (move) {
      const row = move.closest("tr[data-formset-row]");
      const rows = row.parentElement;
      const all = Array.prototype.slice.call(rows.querySelectorAll("tr[data-formset-row]"));
      const at = all.indexOf(row);
      const other = all[move.dataset.rowMove === "up" ? at - 1 : at + 1];
      if (!other) return;
      if (move.dataset.rowMove === "up") rows.insertBefore(row, other);
      else rows.insertBefore(other, row);
      renumber(rows);
      move.focus();
    }
  });

  // ---- charts -------------------------------------------------------------------------
  const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

  function initCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas._chart) return;
      const spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
      canvas._chart = new Chart(canvas, {
        type: spec.type || "bar",
        data: { labels: spec.labels, datasets: spec.datasets },
        options: Object.assign({
          responsive: true, maintainAspectRatio: false,
          plugins: { legend: { display: spec.datasets.length > 1, position: "bottom" } },
          scales: spec.type === "doughnut" ? {} : { y: { beginAtZero: true, ticks: { callback: function (v) { return (spec.prefix || "") + compact.format(v); } } } },
        }, spec.options || {}),
      });
    });
  }

  function init(root) {
    const board = root.querySelector ? root.querySelector(".board[data-pipeline]") : null;
    if (board) initBoard(board);
    initCharts(root);
    // bulk selection on lists
    root.querySelectorAll && root.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        document.querySelectorAll("input[name=" + box.dataset.selectAll + "]").forEach(function (c) { c.checked = box.checked; });
      });
    });
  }

  // The top bar's type-ahead: arrow keys walk the suggestions, Escape or a click elsewhere closes them.
  function initSearchSuggest() {
    const input = document.getElementById("global-search");
    const box = document.getElementById("search-suggest");
    if (!input || !box) return;
    function options() { return Array.from(box.querySelectorAll("[role=option]")); }
    function close() { box.innerHTML = ""; input.setAttribute("aria-expanded", "false"); }
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target === box) input.setAttribute("aria-expanded", options().length ? "true" : "false");
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && options().length) { e.preventDefault(); options()[0].focus(); }
      if (e.key === "Escape") close();
    });
    box.addEventListener("keydown", function (e) {
      const all = options();
      const at = all.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && at < all.length - 1) { e.preventDefault(); all[at + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (at > 0 ? all[at - 1] : input).focus(); }
      if (e.key === "Escape") { close(); input.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (!box.contains(e.target) && e.target !== input) close();
    });
  }
  document.addEventListener("DOMContentLoaded", initSearchSuggest);
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.body.addEventListener("htmx:load", function (e) {
    const board = document.querySelector(".board[data-pipeline]");
    if (board) initBoard(board);
  });
})();
