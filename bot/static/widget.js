/*
 * intake web-chat widget.
 *
 * Embed with one tag on any page:   <script src="https://<host>/widget.js" defer></script>
 *
 * Everything it needs comes from the origin (and path) of its own script: its stylesheet, the
 * widget configuration (broker name and colour, every label it shows) and the chat API. It loads
 * nothing from any other host, inserts every text with textContent (never as HTML), sets no
 * inline style attribute (only CSSOM custom properties, which a strict CSP allows) and keeps its
 * DOM in an open shadow root, so the host page's CSS and ours leave each other alone.
 *
 * What it keeps in the browser: the session token only (localStorage, one key per chat server),
 * so a page reload continues the same conversation. The transcript is fetched back from the
 * server; nothing the prospect typed is stored in the browser.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || !script.src) {
    return;
  }
  // The directory of the script: the API and stylesheet live beside it (also behind a path prefix).
  const ROOT = new URL(".", new URL(script.src, document.baseURI)).href;
  const REGISTRY = "__intakeWidgets";
  window[REGISTRY] = window[REGISTRY] || {};
  if (window[REGISTRY][ROOT]) {
    return; // the same widget included twice: one launcher is enough
  }
  window[REGISTRY][ROOT] = true;

  const STORAGE_KEY = `intake.chat.token:${ROOT}`;
  const SMALL_SCREEN = "(max-width: 600px)";
  // Back-off between attempts of one request (ms); after the last one the widget gives up and
  // offers a retry button. A retry of a message always carries the same client_message_id.
  const RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000];
  const REQUEST_TIMEOUT = 20000;
  const SVG_NS = "http://www.w3.org/2000/svg";

  // --- small helpers ---------------------------------------------------------------------------

  /** An element with attributes (never `style`, never HTML) and text or element children. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) {
        continue;
      }
      if (name === "className") {
        node.className = value;
      } else if (value === true) {
        node.setAttribute(name, "");
      } else {
        node.setAttribute(name, String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined) {
        continue;
      }
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // A bot line that starts with an indent and/or a list mark ("• ", "+ ", "- ", "· "), as the
  // summary's lines do, and a number joined by hyphens (a reference IK-2026-000123, a phone
  // number 020-1234567), which must not break at a hyphen.
  const LINE_PREFIX = /^(?:\s+(?:[•·+\-–]\s+)?|[•·+\-–]\s+)/;
  const HYPHENATED = /[\w+]+(?:-\w+)+/g;

  /** Text with its hyphenated numbers kept on one line (short ones only: they always fit). */
  function unbroken(text) {
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(HYPHENATED)) {
      if (!/\d/.test(match[0]) || match[0].length > 24) {
        continue;
      }
      parts.push(text.slice(last, match.index),
        el("span", { className: "intake-nowrap" }, match[0]));
      last = match.index + match[0].length;
    }
    parts.push(text.slice(last));
    return parts.filter((part) => part !== "");
  }

  /**
   * A bot message laid out for a narrow screen, with exactly the characters sent (text nodes,
   * line breaks kept): each line its own block, and a line with an indent or a list mark wraps
   * under its own text instead of under the mark (a hanging indent).
   */
  function botText(text) {
    const paragraph = el("p", { className: "intake-text" });
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      const end = i < lines.length - 1 ? "\n" : "";
      const prefix = (LINE_PREFIX.exec(line) || [""])[0];
      const rest = line.slice(prefix.length);
      paragraph.append(prefix && rest.trim()
        ? el("span", { className: "intake-line intake-line-hanging" },
          el("span", { className: "intake-mark" }, prefix),
          el("span", { className: "intake-rest" }, ...unbroken(rest + end)))
        : el("span", { className: "intake-line" }, ...unbroken(line + end)));
    });
    return paragraph;
  }

  /** A decorative SVG icon from path data (hidden from assistive technology). */
  function icon(className, ...paths) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", className);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    for (const d of paths) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") {
      return crypto.randomUUID(); // secure contexts only
    }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const storage = {
    get() {
      try {
        return window.localStorage.getItem(STORAGE_KEY);
      } catch (_error) {
        return null; // storage disabled: the conversation lasts as long as the page
      }
    },
    set(token) {
      try {
        window.localStorage.setItem(STORAGE_KEY, token);
      } catch (_error) {
        /* storage disabled or full: keep going without reload survival */
      }
    },
    clear() {
      try {
        window.localStorage.removeItem(STORAGE_KEY);
      } catch (_error) {
        /* nothing stored */
      }
    },
  };

  // --- HTTP ------------------------------------------------------------------------------------

  class HttpError extends Error {
    constructor(status) {
      super(`HTTP ${status}`);
      this.status = status;
    }
  }

  class GaveUp extends Error {}

  const retryable = (status) => status === 408 || status === 425 || status === 429 || status >= 500;

  function retryAfter(response) {
    const value = response.headers.get("Retry-After");
    if (!value) {
      return null;
    }
    const seconds = Number(value);
    if (Number.isFinite(seconds)) {
      return Math.min(Math.max(seconds, 0), 120) * 1000;
    }
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.min(Math.max(date - Date.now(), 0), 120000);
  }

  /**
   * JSON from the API. Transport errors, time-outs, 408/425/429 and 5xx are retried with
   * back-off (Retry-After when given), the identical body each time; `onRetry` runs before each
   * wait. Other statuses throw HttpError at once; running out of attempts throws GaveUp.
   */
  async function request(method, path, body, onRetry) {
    for (let attempt = 0; ; attempt += 1) {
      let wait = RETRY_DELAYS[attempt];
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT);
      try {
        const response = await fetch(new URL(path, ROOT), {
          method,
          headers: body ? { "Content-Type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
          credentials: "omit",
          cache: "no-store",
          signal: controller.signal,
        });
        if (response.ok) {
          return await response.json();
        }
        if (!retryable(response.status)) {
          throw new HttpError(response.status);
        }
        const hinted = retryAfter(response);
        if (hinted !== null && wait !== undefined) {
          wait = Math.max(wait, hinted);
        }
      } catch (error) {
        if (error instanceof HttpError) {
          throw error;
        }
        // A network failure, an abort on time-out, or a body cut off half-way: try again.
      } finally {
        clearTimeout(timer);
      }
      if (wait === undefined) {
        throw new GaveUp();
      }
      if (onRetry) {
        onRetry(attempt + 1);
      }
      await sleep(wait + Math.floor(Math.random() * 250));
    }
  }

  // --- colours ---------------------------------------------------------------------------------

  function luminance(hex) {
    const channel = (i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  }

  /** White or near-black text on the brand colour, whichever contrasts more. */
  function textOn(hex) {
    const l = luminance(hex);
    const onWhite = 1.05 / (l + 0.05);
    const onDark = (l + 0.05) / (luminance("#111111") + 0.05);
    return onWhite >= onDark ? "#ffffff" : "#111111";
  }

  // --- the widget ------------------------------------------------------------------------------

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, (all, key) =>
      Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all,
    );
  }

  function build(config) {
    const labels = config.labels || {};
    const broker = config.broker || {};
    const state = {
      token: storage.get(),
      started: false, // a session was created or restored in this page
      starting: null, // the promise of that, while it runs
      pending: null, // {payload, bubble}: a message sent but not yet answered
      busy: false,
    };

    const host = el("intake-chat", { "data-intake-root": ROOT });
    const shadow = host.attachShadow({ mode: "open" });
    const color = /^#[0-9a-fA-F]{6}$/.test(broker.color || "") ? broker.color : "#1f4e79";
    host.style.setProperty("--intake-brand", color);
    host.style.setProperty("--intake-on-brand", textOn(color));

    const launcherLabel = el("span", { className: "intake-launcher-label" }, labels.launcher);
    const launcher = el(
      "button",
      {
        type: "button",
        className: "intake-launcher",
        "aria-expanded": "false",
        "aria-controls": "intake-panel",
      },
      icon("intake-icon", "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z"),
      launcherLabel,
    );

    const title = el("h2", { className: "intake-title", id: "intake-title" }, labels.title);
    const brokerName = broker.name && !(labels.title || "").includes(broker.name)
      ? el("p", { className: "intake-broker" }, broker.name)
      : null;
    const callback = el("button", { type: "button", className: "intake-callback" },
      icon("intake-icon", "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z"),
      el("span", {}, labels.callback));
    const close = el("button", { type: "button", className: "intake-close", "aria-label": labels.close },
      icon("intake-icon", "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"));

    const progressFill = el("div", { className: "intake-progress-fill" });
    const progress = el("div", {
      className: "intake-progress",
      role: "progressbar",
      "aria-valuemin": "0",
      "aria-valuemax": "1",
      "aria-valuenow": "0",
    }, progressFill);
    const progressText = el("p", { className: "intake-progress-text", "aria-hidden": "true" });
    const progressRow = el("div", { className: "intake-progress-row", hidden: true },
      progress, progressText);

    const log = el("div", {
      className: "intake-log",
      id: "intake-log",
      role: "log",
      "aria-live": "polite",
      "aria-labelledby": "intake-title",
    });
    const typing = el("div", { className: "intake-typing", hidden: true },
      el("span", { className: "intake-dot" }), el("span", { className: "intake-dot" }),
      el("span", { className: "intake-dot" }),
      el("span", { className: "intake-sr" }, labels.typing));
    const scroller = el("div", { className: "intake-scroll" }, log, typing);

    const statusText = el("span", { className: "intake-status-text" });
    const retryButton = el("button", { type: "button", className: "intake-retry", hidden: true },
      labels.retry);
    const status = el("div", { className: "intake-status", role: "status", hidden: true },
      statusText, retryButton);

    const input = el("input", {
      id: "intake-input",
      className: "intake-input",
      type: "text",
      name: "message",
      autocomplete: "off",
      enterkeyhint: "send",
      maxlength: "4000",
      placeholder: labels.input_placeholder,
    });
    const sendButton = el("button", { type: "submit", className: "intake-send" },
      icon("intake-icon", "M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z"),
      el("span", { className: "intake-send-label" }, labels.send));
    const form = el("form", { className: "intake-form", novalidate: true },
      el("label", { className: "intake-sr", for: "intake-input" }, labels.input_label),
      input, sendButton);

    const panel = el("section", {
      className: "intake-panel",
      id: "intake-panel",
      role: "dialog",
      "aria-labelledby": "intake-title",
      tabindex: "-1",
      hidden: true,
    },
    el("div", { className: "intake-header" },
      el("div", { className: "intake-heading" }, title, brokerName), callback, close),
    progressRow,
    scroller, status, form);

    // A landmark of its own (named like the panel), so the widget is not loose page content.
    const root = el("aside", { className: "intake-root", lang: "nl", "aria-label": labels.title },
      launcher, panel);
    const sheet = el("link", { rel: "stylesheet", href: new URL("widget.css", ROOT).href });
    shadow.append(sheet, root);

    // --- rendering -----------------------------------------------------------------------------

    function scrollToShow(first) {
      const top = first ? first.offsetTop - 8 : scroller.scrollHeight;
      scroller.scrollTop = Math.min(top, scroller.scrollHeight - scroller.clientHeight);
    }

    function addMine(text) {
      const bubble = el("div", { className: "intake-msg intake-msg-me" },
        el("p", { className: "intake-text" }, text));
      log.append(bubble);
      scrollToShow(null);
      return bubble;
    }

    function addBot(reply, active) {
      const message = el("div", { className: "intake-msg intake-msg-bot" },
        botText(String(reply.text || "")));
      const choices = reply.choices || [];
      if (choices.length) {
        const group = el("div", { className: "intake-choices" });
        for (const choice of choices) {
          const button = el("button", {
            type: "button",
            className: "intake-choice",
            "data-choice": choice.id,
            disabled: !active,
          }, String(choice.label));
          button.addEventListener("click", () => choose(button, choice));
          group.append(button);
        }
        message.append(group);
      }
      log.append(message);
      return message;
    }

    /**
     * Old choices are disabled the moment the prospect answers: a choice belongs to the question
     * it was offered with, and the server would read a late click against the current question.
     * Disabled buttons also leave the tab order, so Tab/Shift+Tab reach only the current ones.
     */
    function deactivateChoices() {
      for (const button of log.querySelectorAll(".intake-choice:not([disabled])")) {
        button.disabled = true;
      }
    }

    function setProgress(p) {
      const total = Number(p && p.total) || 0;
      const current = Math.min(Number(p && p.current) || 0, total);
      if (!total) {
        progressRow.hidden = true;
        progressText.textContent = "";
        return;
      }
      const text = format(labels.progress, { current, total });
      progressRow.hidden = false;
      progress.setAttribute("aria-valuemax", String(total));
      progress.setAttribute("aria-valuenow", String(current));
      progress.setAttribute("aria-valuetext", text);
      progress.setAttribute("aria-label", text);
      progressText.textContent = text;
      progressFill.style.setProperty("--intake-fill", String(current / total));
    }

    function renderTurn(turn) {
      let first = null;
      for (const reply of turn.replies || []) {
        const node = addBot(reply, true);
        first = first || node;
      }
      setProgress(turn.progress);
      if (turn.done) {
        // Finished: nothing left to continue after a reload, so the browser forgets the token
        // (this page keeps it in memory, e.g. for "vergeet mij").
        storage.clear();
        offerRestart();
      }
      scrollToShow(first);
    }

    /** A finished conversation offers a fresh one (the old token is forgotten). */
    function offerRestart() {
      const button = el("button", { type: "button", className: "intake-choice intake-restart" },
        labels.restart);
      button.addEventListener("click", () => {
        if (state.busy || state.pending) {
          return;
        }
        storage.clear();
        state.token = null;
        state.started = false;
        log.replaceChildren();
        setProgress(null);
        input.focus();
        ensureSession();
      });
      log.append(el("div", { className: "intake-msg intake-msg-bot" },
        el("div", { className: "intake-choices" }, button)));
    }

    const MINE = new Set(["prospect", "user", "visitor", "client", "in", "incoming", "me", "human"]);

    function entryText(entry) {
      if (typeof entry.text === "string" && entry.text) {
        return entry.text;
      }
      return String(entry.label || entry.choice || "");
    }

    /** Mark the pressed button among the choices shown since the prospect's last message. */
    function markChosen(id) {
      const messages = Array.from(log.children);
      for (let i = messages.length - 1; i >= 0; i -= 1) {
        if (messages[i].classList.contains("intake-msg-me")) {
          return;
        }
        for (const button of messages[i].querySelectorAll(".intake-choice")) {
          if (button.getAttribute("data-choice") === id) {
            button.classList.add("intake-chosen");
            return;
          }
        }
      }
    }

    /** A page reload: the transcript from the server, with only the current turn's choices live. */
    function renderTranscript(data) {
      log.replaceChildren();
      const entries = Array.isArray(data.transcript) ? data.transcript : [];
      for (const entry of entries) {
        if (!entry || typeof entry !== "object") {
          continue;
        }
        // {"said", "choice", "turn"}: what the prospect said (null for the greeting; a pressed
        // button's label) and the turn that answered it.
        const who = String(entry.role || entry.from || entry.author || entry.sender || "");
        if (entry.turn && Array.isArray(entry.turn.replies)) {
          if (typeof entry.choice === "string") {
            markChosen(entry.choice);
          }
          if (typeof entry.said === "string" && entry.said) {
            addMine(entry.said);
          }
          entry.turn.replies.forEach((reply) => addBot(reply, false));
        } else if (Array.isArray(entry.replies)) {
          entry.replies.forEach((reply) => addBot(reply, false));
        } else if (MINE.has(who.toLowerCase())) {
          addMine(entryText(entry));
        } else if (typeof entry.text === "string") {
          addBot({ text: entry.text, choices: entry.choices || [] }, false);
        }
      }
      if (!log.children.length && data.turn) {
        renderTurn(data.turn);
      } else {
        // The bot messages after the prospect's last one are the current turn.
        const messages = Array.from(log.children);
        for (let i = messages.length - 1; i >= 0; i -= 1) {
          if (messages[i].classList.contains("intake-msg-me")) {
            break;
          }
          for (const button of messages[i].querySelectorAll(".intake-choice")) {
            button.disabled = false;
          }
        }
        if (data.turn) {
          setProgress(data.turn.progress);
          if (data.turn.done) {
            offerRestart();
          }
        }
        scrollToShow(null);
      }
    }

    function showStatus(text, failed) {
      statusText.textContent = text || "";
      retryButton.hidden = !failed;
      status.hidden = !text;
      status.classList.toggle("intake-status-failed", Boolean(failed));
    }

    let retryAction = null;
    retryButton.addEventListener("click", () => {
      const action = retryAction;
      retryAction = null;
      showStatus("");
      if (action) {
        input.focus();
        action();
      }
    });

    function failed(action) {
      retryAction = action;
      showStatus(labels.error_failed, Boolean(action));
      scrollToShow(null);
    }

    function setBusy(busy) {
      state.busy = busy;
      typing.hidden = !busy;
      log.setAttribute("aria-busy", busy ? "true" : "false");
      sendButton.setAttribute("aria-disabled", busy || state.pending ? "true" : "false");
      if (busy) {
        scrollToShow(null);
      }
    }

    // --- the conversation ------------------------------------------------------------------------

    async function newSession() {
      const data = await request("POST", "api/v1/chat/sessions", {}, () =>
        showStatus(labels.error_retry));
      state.token = data.token;
      storage.set(data.token);
      log.replaceChildren();
      showStatus("");
      renderTurn(data.turn || {});
    }

    async function restore() {
      try {
        const data = await request(
          "GET", `api/v1/chat/sessions/${encodeURIComponent(state.token)}`, null,
          () => showStatus(labels.error_retry));
        showStatus("");
        renderTranscript(data);
      } catch (error) {
        if (error instanceof HttpError && (error.status === 404 || error.status === 410)) {
          // Expired, erased ("vergeet mij") or from another server: start afresh.
          storage.clear();
          state.token = null;
          await newSession();
          return;
        }
        throw error;
      }
    }

    /** Create or restore the session once per page; a failure offers a retry. */
    function ensureSession() {
      if (state.started || state.starting) {
        return state.starting || Promise.resolve();
      }
      setBusy(true);
      state.starting = (state.token ? restore() : newSession())
        .then(() => {
          state.started = true;
        })
        .catch(() => {
          failed(ensureSession);
        })
        .finally(() => {
          state.starting = null;
          setBusy(false);
        });
      return state.starting;
    }

    async function deliver() {
      const pending = state.pending;
      if (!pending || state.busy) {
        return;
      }
      showStatus("");
      setBusy(true);
      try {
        const turn = await request(
          "POST", `api/v1/chat/sessions/${encodeURIComponent(state.token)}/messages`,
          pending.payload, () => showStatus(labels.error_retry));
        state.pending = null;
        pending.bubble.classList.remove("intake-msg-pending");
        showStatus("");
        setBusy(false);
        renderTurn(turn);
      } catch (error) {
        setBusy(false);
        if (error instanceof HttpError && (error.status === 404 || error.status === 410)) {
          // The conversation is gone (erased or expired): a new one starts.
          state.pending = null;
          storage.clear();
          state.token = null;
          state.started = false;
          await ensureSession();
          return;
        }
        if (error instanceof HttpError) {
          // Refused as it is (too long, malformed): sending it again would not help.
          state.pending = null;
          pending.bubble.classList.replace("intake-msg-pending", "intake-msg-failed");
          failed(null);
          return;
        }
        failed(deliver);
      } finally {
        sendButton.setAttribute("aria-disabled", state.busy || state.pending ? "true" : "false");
      }
    }

    async function send(payload, shown) {
      if (state.busy || state.pending || !state.started) {
        return false;
      }
      deactivateChoices();
      const bubble = addMine(shown);
      bubble.classList.add("intake-msg-pending");
      state.pending = { payload: { ...payload, client_message_id: uuid() }, bubble };
      await deliver();
      return true;
    }

    function choose(button, choice) {
      if (state.busy || state.pending || button.disabled) {
        return;
      }
      const byKeyboard = button.matches(":focus-visible");
      button.classList.add("intake-chosen");
      // The button is about to be disabled: keep focus inside the panel.
      if (byKeyboard) {
        input.focus();
      } else {
        panel.focus({ preventScroll: true });
      }
      send({ choice: choice.id }, String(choice.label));
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text || state.busy || state.pending || !state.started) {
        return;
      }
      input.value = "";
      send({ text }, text);
    });

    // "Bel mij" at any step: the dialogue's own command, typed for the prospect.
    callback.addEventListener("click", () => {
      send({ text: "bel mij" }, labels.callback);
    });

    // --- opening, closing, keyboard ----------------------------------------------------------------

    const small = window.matchMedia(SMALL_SCREEN);
    const coarse = window.matchMedia("(pointer: coarse)");

    function open() {
      panel.hidden = false;
      root.classList.add("intake-open");
      launcher.setAttribute("aria-expanded", "true");
      // Full screen on a phone: the page behind is covered, so the dialog is modal there.
      panel.setAttribute("aria-modal", small.matches ? "true" : "false");
      // On a touch screen do not pop the keyboard up over the greeting.
      (coarse.matches ? panel : input).focus({ preventScroll: true });
      ensureSession();
    }

    function closePanel() {
      panel.hidden = true;
      root.classList.remove("intake-open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", () => (panel.hidden ? open() : closePanel()));
    close.addEventListener("click", closePanel);

    function focusables() {
      return Array.from(panel.querySelectorAll("button, input, [href], [tabindex]:not([tabindex='-1'])"))
        .filter((node) => !node.disabled && !node.hidden && node.offsetParent !== null);
    }

    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        closePanel();
        return;
      }
      // Keep Tab inside the panel while it covers the whole screen (the page behind is hidden).
      if (event.key === "Tab" && small.matches) {
        const items = focusables();
        if (!items.length) {
          return;
        }
        const first = items[0];
        const last = items[items.length - 1];
        const active = shadow.activeElement;
        if (event.shiftKey && (active === first || active === panel)) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && active === last) {
          event.preventDefault();
          first.focus();
        }
      }
    });

    document.body.append(host);
  }

  // --- start-up --------------------------------------------------------------------------------

  async function start() {
    let config;
    try {
      config = await request("GET", "api/v1/widget/config", null, null);
    } catch (_error) {
      // Without its configuration (labels, broker) the widget shows nothing rather than a
      // button that cannot work; it tries again when the browser comes back online.
      console.warn("intake widget: configuration unavailable; the chat button stays hidden");
      window.addEventListener("online", start, { once: true });
      return;
    }
    build(config);
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  }
})();
