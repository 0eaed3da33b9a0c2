/* The console's side of the live chat (CS-3): one agent socket per console page.
 *
 * On every console page: the availability indicator and the heartbeat (an agent counts as
 * available only while one of their console pages is open). On the chat page: the
 * availability toggle and the waiting list with live wait times. On a conversation page:
 * the messages (resumed after the last one shown), typing, taking, closing and
 * "Transformer en demande". The forms work without JavaScript too (POST to the console), but
 * for the answer, which only the socket carries.
 */
(function () {
  "use strict";
  var indicator = document.querySelector("[data-chat-agent]");
  if (!indicator) return;
  // data-t-* attributes hold the translated texts: t.typing is data-t-typing.
  var t = {};
  Object.keys(indicator.dataset).forEach(function (key) {
    var value = indicator.dataset[key];
    t[key] = value;
    if (/^t[A-Z]/.test(key)) t[key.charAt(1).toLowerCase() + key.slice(2)] = value;
  });
  var label = indicator.querySelector("[data-chat-agent-label]");
  var consoleEl = document.querySelector("[data-chat-console]");
  var convEl = document.querySelector("[data-chat-conversation]");
  var toggleForm = document.querySelector("[data-chat-availability-form]");
  var ws = null, retry = 0, heartbeat = null, pendingTake = null, sendWhenOpen = false;
  var convId = convEl ? Number(convEl.dataset.chatConversation) : 0;
  var lastId = convEl ? Number(convEl.dataset.lastId) : 0;
  var seen = {};
  var typingTimer = null, lastTypingSent = 0;
  var HEARTBEAT_MS = 20000;

  function socketUrl() {
    var base = t.socketUrl;
    if (!base) {
      var scheme = location.protocol === "https:" ? "wss" : "ws";
      // No port: the page's own origin (a proxy sends /ws/ to the socket servers).
      base = scheme + "://" + (t.port ? location.hostname + ":" + t.port : location.host);
    }
    return base + "/ws/chat/agent/";
  }
  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }
  function connect() {
    ws = new WebSocket(socketUrl());
    ws.onmessage = function (e) { var d; try { d = JSON.parse(e.data); } catch (x) { return; } handle(d); };
    ws.onopen = function () {
      retry = 0;
      if (sendWhenOpen && convEl) {
        sendWhenOpen = false;
        convEl.querySelector("[data-chat-compose]").requestSubmit();
      }
      clearInterval(heartbeat);
      heartbeat = setInterval(function () { send({ type: "ping" }); }, HEARTBEAT_MS);
    };
    ws.onclose = function (e) {
      ws = null;
      clearInterval(heartbeat);
      label.textContent = t.offline;
      indicator.classList.remove("chat-on");
      if (e.code === 4403) return; // not an agent: never retry
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * retry);
    };
  }

  function setMe(value) {
    label.textContent = value ? t.on : t.off;
    indicator.classList.toggle("chat-on", value);
    if (toggleForm) {
      toggleForm.querySelector("[data-chat-availability-value]").value = value ? "0" : "1";
      toggleForm.querySelector("[data-chat-availability-button]").textContent = value ? t.goOff : t.goOn;
      var meLabel = toggleForm.querySelector("[data-chat-me-label]");
      meLabel.textContent = value ? t.meOn : t.meOff;
      meLabel.classList.toggle("chat-me-on", value);
    }
  }

  // --- the waiting list ---
  function waitText(iso) {
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return t.waitingSince + " " + (s < 60 ? s + " " + t.seconds : Math.floor(s / 60) + " " + t.minutes);
  }
  function tickWaits() {
    document.querySelectorAll("[data-chat-since]").forEach(function (el) {
      if (el.dataset.chatSince) el.textContent = waitText(el.dataset.chatSince);
    });
  }
  function renderQueue(waiting) {
    if (!consoleEl) return;
    var ul = consoleEl.querySelector("[data-chat-waiting]");
    var tpl = document.querySelector("[data-chat-waiting-template]");
    var base = consoleEl.dataset.conversationUrl;
    ul.textContent = "";
    waiting.forEach(function (c) {
      var li = tpl.content.firstElementChild.cloneNode(true);
      li.dataset.conversation = c.id;
      li.querySelector("[data-field=name]").textContent = c.name;
      li.querySelector("[data-field=kind]").textContent = c.customer ? t.client : t.visitor;
      li.querySelector("[data-chat-since]").dataset.chatSince = c.created_at;
      var form = li.querySelector("form");
      form.action = base.replace("/0/", "/" + c.id + "/") + "prendre/";
      form.dataset.chatTake = c.id;
      ul.appendChild(li);
    });
    consoleEl.querySelector("[data-chat-waiting-count]").textContent = "(" + waiting.length + ")";
    consoleEl.querySelector("[data-chat-waiting-empty]").hidden = waiting.length > 0;
    tickWaits();
  }

  // --- one conversation ---
  function render(m) {
    if (!convEl || m.conversation !== convId || seen[m.id]) return;
    seen[m.id] = true;
    if (convEl.querySelector('[data-id="' + m.id + '"]')) return;
    if (m.id > lastId) lastId = m.id;
    var li = document.createElement("li");
    li.className = "bo-message chat-line chat-line-" + m.author;
    li.dataset.id = m.id;
    var head = document.createElement("p");
    head.className = "bo-message-head";
    var who = document.createElement("strong");
    who.textContent = m.author === "customer" ? (convEl.dataset.customer + " (" + t.customerSuffix + ")")
      : m.author === "agent" ? ((m.name || t.agent) + " (" + t.agentSuffix + ")") : t.system;
    head.appendChild(who);
    var time = document.createElement("span");
    time.className = "muted small";
    time.textContent = " " + m.time;
    head.appendChild(time);
    var body = document.createElement("div");
    body.className = "bo-message-body";
    body.textContent = m.body;
    li.appendChild(head);
    li.appendChild(body);
    var ol = convEl.querySelector("[data-chat-messages]");
    ol.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
    if (m.author === "customer") {
      convEl.querySelector("[data-chat-typing]").hidden = true;
      send({ type: "read", conversation: convId, upto: m.id });
    }
  }
  function setStatus(status, mine) {
    if (!convEl) return;
    convEl.dataset.status = status;
    if (mine !== undefined) convEl.dataset.mine = mine ? "1" : "0";
    var canWrite = status === "active" && convEl.dataset.mine === "1";
    convEl.querySelector("[data-chat-compose-card]").hidden = !canWrite;
    convEl.querySelector("[data-chat-closed-note]").hidden = status !== "closed";
    var take = convEl.querySelector("[data-chat-take]");
    if (take && status !== "waiting") take.hidden = true;
    if (status === "closed") {
      var close = document.querySelector("[data-chat-close]");
      if (close) close.hidden = true;
    }
  }

  function handle(d) {
    if (d.type === "hello") {
      setMe(d.me);
      renderQueue(d.waiting);
      if (convEl) send({ type: "open", conversation: convId, after: lastId });
    } else if (d.type === "me") {
      setMe(d.me);
    } else if (d.type === "queue") {
      renderQueue(d.waiting);
    } else if (d.type === "messages") {
      if (convEl && d.conversation && d.conversation.id === convId) {
        setStatus(d.conversation.status);
        d.messages.forEach(render);
      }
    } else if (d.type === "message") {
      render(d.message);
    } else if (d.type === "typing") {
      if (convEl && d.conversation === convId) {
        var el = convEl.querySelector("[data-chat-typing]");
        el.hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { el.hidden = true; }, 4000);
      }
    } else if (d.type === "status") {
      if (pendingTake && d.conversation === pendingTake && d.status === "active") {
        pendingTake = null;
        location.href = consoleEl.dataset.conversationUrl.replace("/0/", "/" + d.conversation + "/");
      }
      if (d.conversation === convId) setStatus(d.status);
    } else if (d.type === "converted") {
      location.href = convEl.dataset.threadUrl.replace("/0/", "/" + d.thread + "/");
    } else if (d.type === "error") {
      var err = convEl && convEl.querySelector("[data-chat-error]");
      if (err) { err.textContent = d.message; err.hidden = !d.message; }
    }
  }

  // --- actions: the socket when it is up, else the form's POST ---
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches("[data-chat-compose]")) {
      // An answer has no page of its own: only the socket carries it. Written before the
      // socket is open (just after the page loads, or while it reconnects), it stays in the
      // box and leaves as soon as the socket opens, instead of being lost to a page reload.
      e.preventDefault();
      var area = form.querySelector("textarea");
      var text = area.value.trim();
      if (!text) return;
      sendWhenOpen = !send({ type: "message", conversation: convId, body: text });
      if (!sendWhenOpen) area.value = "";
      return;
    }
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (form.matches("[data-chat-availability-form]")) {
      e.preventDefault();
      // What the button says, not `me`: between the socket's opening and its "hello", `me`
      // is still false and "Passer absent" would have made the agent available.
      var wanted = form.querySelector("[data-chat-availability-value]").value === "1";
      send({ type: "availability", available: wanted });
    } else if (form.dataset.chatTake) {
      e.preventDefault();
      var id = Number(form.dataset.chatTake);
      send({ type: "take", conversation: id });
      if (!consoleEl) {
        form.submit();
      } else if (!convEl || id !== convId) {
        // Open the chat once the server says it is taken (leaving at once could drop the
        // request with the socket); without an answer, the form's own POST takes it.
        pendingTake = id;
        setTimeout(function () {
          if (pendingTake === id) { pendingTake = null; form.submit(); }
        }, 3000);
      } else {
        setStatus("active", true);
      }
    } else if (form.dataset.chatClose) {
      e.preventDefault();
      send({ type: "close", conversation: convId });
    } else if (form.dataset.chatConvert) {
      e.preventDefault();
      send({ type: "convert", conversation: convId });
    }
  });
  if (convEl) {
    var area = convEl.querySelector("[data-chat-compose] textarea");
    area.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2000) { lastTypingSent = now; send({ type: "typing", conversation: convId }); }
    });
    area.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); area.form.requestSubmit(); }
    });
    convEl.querySelectorAll("[data-id]").forEach(function (li) { seen[li.dataset.id] = true; });
  }
  setInterval(tickWaits, 5000);
  connect();
})();
