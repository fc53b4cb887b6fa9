/* WeWall web chat: a small interface over socket.io-client for Rasa's socketio channel.
 *
 * Protocol (rasa/core/channels/socketio.py, session_persistence: true):
 *   → session_request {session_id}   ← session_confirm "<id>"
 *   → user_uttered {message, session_id}
 *   ← bot_uttered {text, quick_replies|buttons} | {attachment: {type: "image", payload: {src}}}
 * The session id and the transcript are kept in localStorage, so a reload continues the
 * same conversation (the same sender in Rasa's tracker store).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("wewall-config").textContent);
  var STORE_KEY = "wewall.webchat.v1";
  var MAX_KEPT = 200;
  var TYPING_TIMEOUT_MS = 20000;

  var els = {
    title: document.getElementById("chat-title"),
    subtitle: document.getElementById("chat-subtitle"),
    status: document.getElementById("status"),
    log: document.getElementById("messages"),
    form: document.getElementById("composer"),
    input: document.getElementById("input"),
    send: document.getElementById("send"),
    restart: document.getElementById("restart"),
  };

  els.title.textContent = config.title;
  els.subtitle.textContent = config.subtitle || "";
  els.input.placeholder = config.placeholder;

  // ---- state -------------------------------------------------------------------------
  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE_KEY) || "null");
      if (saved && typeof saved === "object" && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* private mode or a broken value: start afresh */ }
    return { sessionId: null, messages: [], greeted: false };
  }

  function save() {
    state.messages = state.messages.slice(-MAX_KEPT);
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* ignore */ }
  }

  var state = load();

  // ---- rendering ---------------------------------------------------------------------
  var URL_RE = /\bhttps?:\/\/[^\s<>"«»]+/g;
  var TRAILING = /[.,;:!?)\]]+$/;

  function appendLinkified(parent, text) {
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(TRAILING, "");
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.appendChild(a);
      last = offset + url.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function safeImageUrl(src) {
    if (typeof src !== "string") return null;
    try {
      var url = new URL(src, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function scrollDown() {
    els.log.scrollTop = els.log.scrollHeight;
  }

  function disableOldButtons() {
    var groups = els.log.querySelectorAll(".msg__buttons");
    for (var i = 0; i < groups.length; i++) {
      var buttons = groups[i].querySelectorAll("button");
      for (var j = 0; j < buttons.length; j++) buttons[j].disabled = true;
    }
  }

  function render(msg, active) {
    var row = document.createElement("div");
    row.className = "msg msg--" + msg.from;
    if (msg.text) {
      var bubble = document.createElement("div");
      bubble.className = "msg__bubble";
      appendLinkified(bubble, msg.text);
      row.appendChild(bubble);
    }
    if (msg.image) {
      var link = document.createElement("a");
      link.href = msg.image;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.className = "msg__image-link";
      var img = document.createElement("img");
      img.className = "msg__image";
      img.alt = "Изображение от ассистента";
      img.src = msg.image;
      img.addEventListener("load", scrollDown);
      link.appendChild(img);
      row.appendChild(link);
    }
    if (msg.buttons && msg.buttons.length) {
      var group = document.createElement("div");
      group.className = "msg__buttons";
      msg.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "msg__button";
        button.textContent = b.title;
        button.disabled = !active;
        button.addEventListener("click", function () {
          if (button.disabled) return;
          sendUser(b.title, b.payload);
        });
        group.appendChild(button);
      });
      row.appendChild(group);
    }
    els.log.appendChild(row);
    scrollDown();
  }

  function add(msg) {
    if (msg.from === "user") disableOldButtons();
    state.messages.push(msg);
    save();
    render(msg, msg.from === "bot");
  }

  // ---- typing indicator --------------------------------------------------------------
  var typing = null;
  var typingTimer = null;

  function showTyping() {
    hideTyping();
    typing = document.createElement("div");
    typing.className = "msg msg--bot msg--typing";
    typing.setAttribute("aria-label", "Ассистент печатает");
    typing.innerHTML = '<div class="msg__bubble"><span></span><span></span><span></span></div>';
    els.log.appendChild(typing);
    scrollDown();
    typingTimer = window.setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }

  function hideTyping() {
    if (typingTimer) window.clearTimeout(typingTimer);
    typingTimer = null;
    if (typing && typing.parentNode) typing.parentNode.removeChild(typing);
    typing = null;
  }

  // ---- connection --------------------------------------------------------------------
  function setStatus(text, kind) {
    els.status.textContent = text || "";
    els.status.className = "chat__status" + (kind ? " chat__status--" + kind : "");
    els.status.hidden = !text;
  }

  if (typeof window.io !== "function") {
    setStatus("Не загружена библиотека socket.io-client: выполните `make install` (npm ci в web/).", "error");
    return;
  }

  var ready = false;
  var pending = [];
  var socket = window.io({ path: config.socketPath, transports: ["websocket", "polling"] });

  socket.on("connect", function () {
    setStatus("Подключение…");
    socket.emit("session_request", { session_id: state.sessionId });
  });

  socket.on("session_confirm", function (data) {
    var id = typeof data === "string" ? data : data && data.session_id;
    if (!id) return;
    state.sessionId = id;
    ready = true;
    save();
    setStatus("");
    document.body.setAttribute("data-session", id);
    if (!state.greeted && config.initPayload) {
      state.greeted = true;
      save();
      emit(config.initPayload);
    }
    var queued = pending;
    pending = [];
    queued.forEach(emit);
  });

  socket.on("disconnect", function () {
    ready = false;
    setStatus("Нет связи с сервером, переподключаюсь…", "warning");
  });

  socket.on("connect_error", function () {
    ready = false;
    setStatus("Не удаётся подключиться к серверу, пробую ещё раз…", "warning");
  });

  socket.on(config.botEvent, function (data) {
    if (!data || typeof data !== "object") return;
    hideTyping();
    var msg = { from: "bot" };
    if (typeof data.text === "string") msg.text = data.text;
    var buttons = data.quick_replies || data.buttons;
    if (Array.isArray(buttons)) {
      msg.buttons = buttons
        .filter(function (b) { return b && typeof b.title === "string"; })
        .map(function (b) { return { title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title }; });
    }
    var attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      msg.image = safeImageUrl(attachment.payload.src);
    } else if (typeof data.image === "string") {
      msg.image = safeImageUrl(data.image);
    }
    if (!msg.text && !msg.image && !(msg.buttons && msg.buttons.length)) return;
    add(msg);
  });

  function emit(message) {
    if (!ready || !state.sessionId) {
      pending.push(message);
      return;
    }
    socket.emit(config.userEvent, { message: message, session_id: state.sessionId });
    showTyping();
  }

  function sendUser(text, payload) {
    add({ from: "user", text: text });
    emit(payload || text);
  }

  // ---- input -------------------------------------------------------------------------
  els.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = els.input.value.trim();
    if (!text) return;
    els.input.value = "";
    sendUser(text);
    els.input.focus();
  });

  els.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.form.requestSubmit ? els.form.requestSubmit() : els.send.click();
    }
  });

  els.restart.addEventListener("click", function () {
    try { window.localStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
    window.location.reload();
  });

  // ---- the transcript of this browser ------------------------------------------------
  var lastUser = -1;
  state.messages.forEach(function (m, i) { if (m.from === "user") lastUser = i; });
  state.messages.forEach(function (m, i) { render(m, m.from === "bot" && i > lastUser); });
})();
