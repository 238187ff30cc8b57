// Live chat: a progressive enhancement of the room page, which works
// without it (send by form, reload for new messages). With it, messages
// arrive over a WebSocket and the form sends through it; a dropped
// connection comes back and resumes after the last message it has.
(() => {
  'use strict';
  const room = document.querySelector('[data-live]');
  if (!room || !('WebSocket' in window)) return;
  const me = room.dataset.me || null;
  const moderator = room.dataset.moderator === 'true';
  const form = document.querySelector('form.composer');
  const status = document.getElementById('live-status');
  const presence = document.getElementById('presence');
  const typing = document.getElementById('typing');
  const problem = document.getElementById('live-problem');
  let last = Number(room.dataset.last || 0);
  let socket = null;
  let wait = 500;
  let acknowledge = false;
  let lastTyping = 0;
  let typingTimer = null;

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) if (c != null) node.append(c);
    return node;
  };

  // The list inside the page's live region (role="log": new items are read out).
  function log() {
    let list = room.querySelector('ol.chat-log');
    if (!list) {
      room.querySelector('.no-messages')?.remove();
      list = el('ol', { class: 'chat-log' });
      room.querySelector('[role=log]').append(list);
    }
    return list;
  }

  // A small form for a message's action, with the page's form token.
  function action(id, what, label, author) {
    const token = form?.querySelector('input[name=csrf]')?.value
      || document.querySelector('input[name=csrf]')?.value || '';
    return el('form', { method: 'post', action: `/chat/messages/${id}/${what}`, class: 'inline' },
      el('input', { type: 'hidden', name: 'csrf', value: token }),
      el('button', { type: 'submit', class: 'link' }, label,
        el('span', { class: 'visually-hidden' }, ` the message by ${author}`)));
  }

  function show(m) {
    last = Math.max(last, m.id);
    const item = el('li', { id: `m-${m.id}`, class: `message${m.held ? ' is-held' : ''}${m.deleted ? ' is-deleted' : ''}` });
    const who = m.author_href
      ? el('a', { href: m.author_href, class: 'author' }, m.author)
      : el('span', { class: 'author' }, m.author);
    const when = el('a', { href: `#m-${m.id}`, class: 'when' }, el('time', { datetime: m.sent_iso }, m.sent_text));
    item.append(el('p', { class: 'byline' }, who, ' ', m.badge ? el('span', { class: 'badge role' }, m.badge) : null, ' ', when));
    if (m.reply_to) {
      item.append(el('p', { class: 'in-reply' }, 'In reply to ', el('a', { href: `#m-${m.reply_to}` }, m.reply_to_name || 'a message')));
    }
    if (m.held) item.append(el('p', { class: 'notice' }, 'Waiting for a moderator: only its author and the moderators can see this message.'));
    if (m.deleted) item.append(el('p', { class: 'notice' }, 'This message was deleted.'));
    if (m.html) {
      const body = el('div', { class: 'body' });
      body.innerHTML = m.html; // made safe by the server (Markdown, then an allow-list)
      item.append(body);
    }
    const actions = el('div', { class: 'post-actions' });
    if (form && !m.deleted) {
      actions.append(el('a', { href: `?reply_to=${m.id}#composer`, 'data-reply': m.id, 'data-name': m.author }, 'Reply',
        el('span', { class: 'visually-hidden' }, ` to ${m.author}`)), ' ');
    }
    if (!m.deleted && (m.own || moderator)) actions.append(action(m.id, 'delete', 'Delete', m.author), ' ');
    if (m.held && moderator) actions.append(action(m.id, 'approve', 'Approve', m.author));
    item.append(actions);
    const list = log();
    const old = document.getElementById(`m-${m.id}`);
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    if (old) {
      old.replaceWith(item);
    } else {
      const later = [...list.children].find((li) => Number(li.id.slice(2)) > m.id);
      list.insertBefore(item, later || null);
      if (atBottom) item.scrollIntoView({ block: 'end' });
    }
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function complain(text) {
    if (problem) {
      problem.textContent = text;
      problem.hidden = !text;
    }
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}${room.dataset.live}?after=${last}`);
    socket.onopen = () => {
      wait = 500;
      say('Live: new messages appear here as they are sent.');
      document.querySelectorAll('.reload-hint').forEach((n) => { n.hidden = true; });
    };
    socket.onmessage = (event) => {
      const f = JSON.parse(event.data);
      if (f.type === 'message') show(f.message);
      else if (f.type === 'presence' && presence) {
        // A busy room names the first few and counts the rest.
        const more = (f.count || 0) - f.here.length;
        presence.textContent = f.here.length ? `Here now: ${f.here.join(', ')}${more > 0 ? ` and ${more} more` : ''}` : '';
      } else if (f.type === 'typing' && typing) {
        typing.textContent = `${f.alias} is typing…`;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { typing.textContent = ''; }, 4000);
      } else if (f.type === 'sent') {
        acknowledge = false;
        complain('');
        form.reset();
        form.querySelector('input[name=reply_to]')?.remove();
        form.querySelector('[name=body]').focus();
      } else if (f.type === 'error') {
        let text = f.reason;
        if (f.check) {
          acknowledge = true;
          const found = (f.check.personal_details || []).join(' ');
          text = `Please look again before it goes out. ${found} Press Send again to send it anyway, or change it first.`;
        }
        complain(text);
      }
    };
    socket.onclose = (event) => {
      socket = null;
      if (event.code === 4001) {
        say('Your session has ended: sign in again to chat.');
        return;
      }
      say('Reconnecting…');
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 15000);
    };
  }

  if (form) {
    const body = form.querySelector('[name=body]');
    form.addEventListener('submit', (event) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) return; // the form posts as usual
      event.preventDefault();
      const replyTo = form.querySelector('input[name=reply_to]')?.value;
      socket.send(JSON.stringify({
        type: 'send',
        body: body.value,
        reply_to: replyTo ? Number(replyTo) : null,
        acknowledge: acknowledge || form.querySelector('input[name=acknowledge]')?.value === '1',
      }));
    });
    body.addEventListener('input', () => {
      acknowledge = false;
      const now = Date.now();
      if (socket?.readyState === WebSocket.OPEN && now - lastTyping > 2000) {
        lastTyping = now;
        socket.send('{"type":"typing"}');
      }
    });
    // Enter sends, Shift+Enter makes a new line.
    body.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  // Reply links answer in place when live.
  room.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-reply]');
    if (!link || !form || !socket) return;
    event.preventDefault();
    form.querySelector('input[name=reply_to]')?.remove();
    form.prepend(el('input', { type: 'hidden', name: 'reply_to', value: link.dataset.reply }));
    complain(`Replying to ${link.dataset.name}.`);
    form.querySelector('[name=body]').focus();
  });
  connect();
})();
