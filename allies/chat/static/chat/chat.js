/* The storefront's live chat (CS-3): presence, the bubble and the customer's conversation.
 *
 * One socket per page (/ws/chat/). The server decides whose conversation this is (account or
 * session); the page only keeps the id of the last message it showed (`lastId`) and asks for
 * everything after it whenever the socket comes back, so a cut loses nothing.
 *
 * Contract for other pages: `[data-chat-when-available]` is shown and `[data-chat-when-away]`
 * hidden while an agent is available; a click on any `[data-chat-open]` opens the panel.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-chat-root]");
  if (!root || document.querySelector("[data-chat-agent]")) return; // the console has its own
  // data-t-* attributes hold the translated texts: t.typing is data-t-typing.
  var t = {};
  Object.keys(root.dataset).forEach(function (key) {
    var value = root.dataset[key];
    t[key] = value;
    if (/^t[A-Z]/.test(key)) t[key.charAt(1).toLowerCase() + key.slice(2)] = value;
  });
  var panel = root.querySelector(".chat-panel");
  var bubble = root.querySelector(".chat-bubble");
  var badge = root.querySelector("[data-chat-badge]");
  var visitorForm = root.querySelector("[data-chat-visitor]");
  var body = root.querySelector("[data-chat-body]");
  var list = root.querySelector("[data-chat-messages]");
  var typingEl = root.querySelector("[data-chat-typing]");
  var note = root.querySelector("[data-chat-note]");
  var compose = root.querySelector("[data-chat-compose]");
  var input = compose.querySelector("textarea");

  var ws = null, retry = 0, lastId = 0, available = false, visitor = true;
  var conversation = null, unread = 0, open = false, outbox = [], pendingStart = null;
  var seen = {}, typingTimer = null, lastTypingSent = 0, sessionAsked = false;

  function socketUrl() {
    var base = t.socketUrl;
    if (!base) {
      var scheme = location.protocol === "https:" ? "wss" : "ws";
      // No port: the page's own origin (a proxy sends /ws/ to the socket servers).
      base = scheme + "://" + (t.port ? location.hostname + ":" + t.port : location.host);
    }
    return base + "/ws/chat/";
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }

  function connect() {
    ws = new WebSocket(socketUrl());
    ws.onopen = function () { retry = 0; note.textContent = ""; };
    ws.onmessage = function (e) { var d; try { d = JSON.parse(e.data); } catch (x) { return; } handle(d); };
    ws.onclose = function () {
      ws = null;
      if (conversation) note.textContent = t.offline;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * retry);
    };
  }

  function reconnect() {
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    connect();
  }

  function setAvailable(value) {
    available = value;
    document.querySelectorAll("[data-chat-when-available]").forEach(function (el) { el.hidden = !value; });
    document.querySelectorAll("[data-chat-when-away]").forEach(function (el) { el.hidden = value; });
    // Shown while an agent is available, or while the customer's open panel holds a live chat.
    root.hidden = !(value || (open && conversation && conversation.status !== "closed"));
  }

  function setUnread(n) {
    unread = n;
    badge.hidden = n <= 0;
    badge.textContent = n > 0 ? String(n) : "";
    badge.setAttribute("aria-label", n + " " + t.unread);
  }

  function showBody() {
    var needForm = visitor && !conversation && !pendingStart;
    visitorForm.hidden = !needForm;
    body.hidden = needForm;
  }

  function render(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    if (m.id > lastId) lastId = m.id;
    var li = document.createElement("li");
    li.className = "chat-msg chat-msg-" + m.author;
    li.dataset.id = m.id;
    if (m.author !== "system") {
      var who = document.createElement("span");
      who.className = "chat-who";
      who.textContent = m.author === "customer" ? t.you : (m.name || t.agent);
      li.appendChild(who);
    }
    var p = document.createElement("p");
    p.textContent = m.body;
    li.appendChild(p);
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    if (m.author === "agent") {
      typingEl.hidden = true;
      if (open) send({ type: "read", upto: m.id }); else setUnread(unread + 1);
    }
  }

  function setStatus(status) {
    if (!conversation) return;
    conversation.status = status;
    note.textContent = status === "closed" ? t.closed : (status === "waiting" ? t.waiting : "");
  }

  function flush() {
    while (outbox.length && ws && ws.readyState === WebSocket.OPEN) send(outbox.shift());
  }

  function handle(d) {
    if (d.type === "hello") {
      visitor = d.visitor;
      setAvailable(d.available);
      if (d.conversation) {
        conversation = d.conversation;
        setUnread(open ? 0 : d.unread);
        send({ type: "resume", after: lastId });
        setStatus(conversation.status);
      }
      if (pendingStart) send(pendingStart); // the queued messages follow once it started
      else if (conversation || !visitor) flush();
      showBody();
    } else if (d.type === "presence") {
      setAvailable(d.available);
    } else if (d.type === "started") {
      pendingStart = null;
      conversation = d.conversation;
      setStatus(conversation.status);
      showBody();
      flush();
    } else if (d.type === "messages") {
      if (d.conversation) { conversation = d.conversation; setStatus(conversation.status); }
      d.messages.forEach(render);
      showBody();
    } else if (d.type === "message") {
      render(d.message);
    } else if (d.type === "typing") {
      typingEl.textContent = t.typing;
      typingEl.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingEl.hidden = true; }, 4000);
    } else if (d.type === "status") {
      setStatus(d.status);
      setAvailable(available);
    } else if (d.type === "transcript_sent") {
      note.textContent = t.sent;
    } else if (d.type === "error") {
      if (d.errors && Object.keys(d.errors).length) {
        pendingStart = null;
        showErrors(d.errors);
        showBody();
      } else if (d.code === "closed" && conversation) {
        setStatus("closed");
      } else {
        note.textContent = d.message || t.error;
      }
    }
  }

  function showErrors(errors) {
    visitorForm.querySelectorAll("[data-error-for]").forEach(function (el) {
      var msg = errors[el.dataset.errorFor] || "";
      el.textContent = msg;
      el.hidden = !msg;
      var field = visitorForm.querySelector("[name=" + el.dataset.errorFor + "]");
      if (msg) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
    });
    var first = visitorForm.querySelector("[aria-invalid=true]");
    if (first) first.focus();
  }

  function setOpen(value) {
    open = value;
    panel.hidden = !value;
    bubble.setAttribute("aria-expanded", value ? "true" : "false");
    root.classList.toggle("chat-open", value);
    if (value) {
      root.hidden = false;
      setUnread(0);
      if (lastId) send({ type: "read", upto: lastId });
      showBody();
      var focus = visitorForm.hidden ? input : visitorForm.querySelector("input");
      focus.focus();
    } else {
      setAvailable(available);
      bubble.focus();
    }
  }

  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-chat-open]");
    if (opener) { e.preventDefault(); setOpen(!(open && opener === bubble)); }
  });
  root.querySelector("[data-chat-hide]").addEventListener("click", function () { setOpen(false); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) setOpen(false); });

  visitorForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var name = visitorForm.elements.name.value.trim();
    var email = visitorForm.elements.email.value.trim();
    var errors = {};
    if (!name) errors.name = t.nameRequired;
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.email = t.emailInvalid;
    showErrors(errors);
    if (Object.keys(errors).length) return;
    pendingStart = { type: "start", name: name, email: email };
    showBody();
    if (sessionAsked) { send(pendingStart); return; }
    // The conversation belongs to the visitor's session: make sure there is one, then
    // reconnect so the socket carries its cookie.
    fetch(t.sessionUrl, { method: "POST", credentials: "same-origin" }).then(function () {
      sessionAsked = true;
      reconnect();
    });
  });

  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (!conversation || conversation.status === "closed") {
      if (visitor) {
        // Sent once the conversation has started: a new one needs the visitor's name again.
        if (conversation) conversation = null;
        outbox.push({ type: "message", body: text });
        showBody();
        return;
      }
      outbox.push({ type: "start" });
    }
    outbox.push({ type: "message", body: text });
    flush();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); }
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (conversation && now - lastTypingSent > 2000) { lastTypingSent = now; send({ type: "typing" }); }
  });
  root.querySelector("[data-chat-transcript]").addEventListener("click", function () {
    send({ type: "transcript" });
  });
  root.querySelector("[data-chat-end]").addEventListener("click", function () {
    if (conversation && conversation.status !== "closed") send({ type: "close" });
  });

  connect();
})();
