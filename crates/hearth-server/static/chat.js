// Live chat: a progressive enhancement of the room page, which works
// without it (send by form, reload for new messages). With it, messages
// arrive over a WebSocket and the form sends through it, as do edits (in
// the composer), reactions and deletes; a dropped connection comes back and
// resumes after the last message it has.
(() => {
  'use strict';
  const room = document.querySelector('[data-live]');
  if (!room || !('WebSocket' in window)) return;
  const me = room.dataset.me || null;
  const moderator = room.dataset.moderator === 'true';
  // Staff and moderators: they pick up questions and write while the room is closed.
  const reviewer = room.dataset.reviewer === 'true';
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
  // The id of the message being edited in the composer, if any.
  let editing = null;
  const heading = document.getElementById('composer');
  const sendLabel = form?.querySelector('button[type=submit]')?.textContent;
  const headingText = heading?.textContent;

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

  function csrf() {
    const token = form?.querySelector('input[name=csrf]')?.value
      || document.querySelector('input[name=csrf]')?.value || '';
    return el('input', { type: 'hidden', name: 'csrf', value: token });
  }

  // A small form for a message's action, with the page's form token.
  function action(id, what, label, author, thing = 'message') {
    return el('form', { method: 'post', action: `/chat/messages/${id}/${what}`, class: 'inline' },
      csrf(),
      el('button', { type: 'submit', class: 'link' }, label,
        el('span', { class: 'visually-hidden' }, ` the ${thing} by ${author}`)));
  }

  // A question waiting for the session: listed apart, for its author and staff.
  function showQuestion(m) {
    const list = document.querySelector('ol.question-list');
    const old = document.getElementById(`m-${m.id}`);
    if (m.deleted || !list) {
      old?.remove();
      return;
    }
    const item = el('li', { id: `m-${m.id}`, class: 'message is-waiting' });
    const who = m.author_href
      ? el('a', { href: m.author_href, class: 'author' }, m.author)
      : el('span', { class: 'author' }, m.author);
    item.append(el('p', { class: 'byline' }, who, ' ', el('time', { datetime: m.sent_iso, class: 'when' }, m.sent_text)));
    if (m.held) item.append(el('p', { class: 'notice' }, 'Waiting for a moderator too.'));
    const body = el('div', { class: 'body' });
    body.innerHTML = m.html; // made safe by the server
    item.append(body);
    const actions = el('div', { class: 'post-actions' });
    if (m.can_pick_up) actions.append(action(m.id, 'pick-up', 'Pick up', m.author, 'question'), ' ');
    if (m.own || moderator) actions.append(action(m.id, 'delete', 'Delete', m.author, 'question'));
    item.append(actions);
    if (old) old.replaceWith(item);
    else list.append(item);
  }

  // Reaction buttons for those who may write here (a form without the
  // script too); for others, the reactions chosen so far.
  function reactions(m) {
    if (form && !m.deleted && !m.held) {
      const buttons = el('form', { method: 'post', action: `/chat/messages/${m.id}/react`, class: 'reactions' }, csrf());
      for (const r of m.reactions || []) {
        buttons.append(el('button', {
          type: 'submit', name: 'reaction', value: r.reaction, class: 'reaction',
          'aria-pressed': String(r.mine), 'aria-label': r.label,
        }, el('span', { 'aria-hidden': 'true' }, r.count ? `${r.emoji} ${r.count}` : r.emoji)), ' ');
      }
      return buttons;
    }
    const chosen = (m.reactions || []).filter((r) => r.count > 0);
    if (!chosen.length) return null;
    return el('p', { class: 'reactions' }, ...chosen.flatMap((r) => [
      el('span', { class: 'reaction', role: 'img', 'aria-label': r.label }, `${r.emoji} ${r.count}`), ' ']));
  }

  // New counts on a message already shown: its buttons change in place
  // (attributes and hidden text only, so that the log does not read the
  // message out again and a focused button keeps its focus).
  function updateReactions(item, fresh) {
    const old = item.querySelector('.reactions');
    const same = old && fresh && old.tagName === fresh.tagName
      && old.children.length === fresh.children.length;
    if (!same) {
      if (old && fresh) old.replaceWith(fresh);
      else if (old) old.remove();
      else if (fresh) item.querySelector('.post-actions').before(fresh);
      return;
    }
    [...fresh.children].forEach((node, i) => {
      const target = old.children[i];
      for (const name of ['aria-pressed', 'aria-label']) {
        if (node.hasAttribute(name)) target.setAttribute(name, node.getAttribute(name));
      }
      if (target.textContent !== node.textContent) target.replaceChildren(...node.childNodes);
    });
  }

  // The control in a redrawn message that stands where `node` stood, so
  // that keyboard focus stays put.
  function sameIn(item, node) {
    const href = node.getAttribute('href');
    const pick = node.name === 'reaction' ? `button[value="${CSS.escape(node.value)}"]`
      : href ? `a[href="${CSS.escape(href)}"]` : null;
    return (pick && item.querySelector(pick)) || item.querySelector('button, a');
  }

  function show(m) {
    last = Math.max(last, m.id);
    if (m.question) {
      showQuestion(m);
      return;
    }
    // A question picked up: it leaves the waiting list and joins the room.
    if (m.replaces) document.getElementById(`m-${m.replaces}`)?.remove();
    // What, beyond its reactions, the message shows: a change redraws it.
    const state = `${m.held}|${m.deleted}|${m.edited_iso || ''}`;
    const old = document.getElementById(`m-${m.id}`);
    if (old && old.dataset.state === state) {
      updateReactions(old, reactions(m));
      return;
    }
    const item = el('li', { id: `m-${m.id}`, class: `message${m.held ? ' is-held' : ''}${m.deleted ? ' is-deleted' : ''}`, 'data-state': state });
    const who = m.author_href
      ? el('a', { href: m.author_href, class: 'author' }, m.author)
      : el('span', { class: 'author' }, m.author);
    const when = el('a', { href: `#m-${m.id}`, class: 'when' }, el('time', { datetime: m.sent_iso }, m.sent_text));
    const edited = m.edited ? el('span', { class: 'edited' }, 'edited') : null;
    item.append(el('p', { class: 'byline' }, who, ' ', m.badge ? el('span', { class: 'badge role' }, m.badge) : null, ' ', when, ' ', edited));
    if (m.reply_to) {
      item.append(el('p', { class: 'in-reply' }, 'In reply to ', el('a', { href: `#m-${m.reply_to}` }, m.reply_to_name || 'a message')));
    }
    if (m.asked_text) {
      item.append(el('p', { class: 'asked' }, 'Asked before the session, ', el('time', { datetime: m.asked_iso }, m.asked_text)));
    }
    if (m.held) item.append(el('p', { class: 'notice' }, 'Waiting for a moderator: only its author and the moderators can see this message.'));
    if (m.deleted) item.append(el('p', { class: 'notice' }, 'This message was deleted.'));
    if (m.html) {
      const body = el('div', { class: 'body' });
      body.innerHTML = m.html; // made safe by the server (Markdown, then an allow-list)
      item.append(body);
    }
    const chosen = reactions(m);
    if (chosen) item.append(chosen);
    const actions = el('div', { class: 'post-actions' });
    if (form && !m.deleted) {
      actions.append(el('a', { href: `?reply_to=${m.id}#composer`, 'data-reply': m.id, 'data-name': m.author }, 'Reply',
        el('span', { class: 'visually-hidden' }, ` to ${m.author}`)), ' ');
    }
    if (form && m.markdown != null) {
      actions.append(el('a', { href: `/chat/messages/${m.id}/edit`, 'data-edit': m.id, 'data-markdown': m.markdown }, 'Edit',
        el('span', { class: 'visually-hidden' }, ' your message')), ' ');
    }
    if (m.history) {
      actions.append(el('a', { href: `/chat/messages/${m.id}/history` }, 'Earlier versions',
        el('span', { class: 'visually-hidden' }, ` of the message by ${m.author}`)), ' ');
    }
    if (!m.deleted && (m.own || moderator)) actions.append(action(m.id, 'delete', 'Delete', m.author), ' ');
    if (m.held && moderator) actions.append(action(m.id, 'approve', 'Approve', m.author), ' ');
    if (moderator && !m.own && m.author_href) {
      actions.append(el('a', { href: `?mute=${encodeURIComponent(m.author)}#mute-heading` }, 'Mute',
        el('span', { class: 'visually-hidden' }, ` ${m.author} in this room`)));
    }
    item.append(actions);
    const list = log();
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    if (old) {
      const focused = old.contains(document.activeElement) ? document.activeElement : null;
      old.replaceWith(item);
      if (focused) sameIn(item, focused)?.focus();
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

  // Outside opening hours a member's composer leaves questions for the next session.
  function setAsking(asking) {
    if (!form || reviewer) return;
    const flag = form.querySelector('input[name=question]');
    if (asking === Boolean(flag)) return;
    if (asking) form.prepend(el('input', { type: 'hidden', name: 'question', value: '1' }));
    else flag.remove();
    const heading = document.getElementById('composer');
    if (heading) heading.textContent = asking ? 'Leave a question for the next session' : 'Send a message';
    const label = form.querySelector('label[for=f-body]');
    if (label) label.textContent = asking ? 'Your question' : 'Your message';
    const hint = document.getElementById('h-body');
    if (hint) {
      hint.textContent = asking
        ? 'The room is closed: only you and the staff will see your question until staff pick it up in the next session. Please leave out anything that identifies you.'
        : 'Please leave out anything that identifies you. You can use Markdown.';
    }
    const button = form.querySelector('button[type=submit]:not([name])');
    if (button) button.textContent = asking ? 'Leave a question' : 'Send';
  }

  // The room's opening state, from the server (hello, or a refusal).
  function hours(f) {
    if (f.open === undefined) return;
    const notice = document.getElementById('hours-notice');
    if (notice) notice.textContent = f.open ? `Open now: this session ends at ${f.session.text.split('–').pop()}.` : f.closed_text;
    setAsking(!f.open);
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
      if (f.type === 'hello') hours(f);
      else if (f.type === 'message') show(f.message);
      else if (f.type === 'presence' && presence) {
        const more = f.more ? ` and ${f.more} more` : '';
        presence.textContent = f.here.length ? `Here now: ${f.here.join(', ')}${more}` : '';
      }
      else if (f.type === 'typing' && typing) {
        typing.textContent = `${f.alias} is typing…`;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { typing.textContent = ''; }, 4000);
      } else if (f.type === 'sent') {
        acknowledge = false;
        complain('');
        form.reset();
        form.querySelector('input[name=reply_to]')?.remove();
        form.querySelector('[name=body]').focus();
      } else if (f.type === 'edited') {
        const id = editing;
        stopEditing();
        complain(f.held ? 'Saved. A moderator will check the new text before others see it.' : '');
        document.querySelector(`#m-${id} a[data-edit]`)?.focus();
      } else if (f.type === 'reacted' || f.type === 'deleted') {
        complain('');
      } else if (f.type === 'error') {
        hours(f);
        let text = f.reason;
        if (f.check) {
          acknowledge = true;
          const found = (f.check.personal_details || []).join(' ');
          text = `Please look again before it goes out. ${found} Press ${editing ? 'Save changes' : 'Send'} again to send it anyway, or change it first.`;
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

  function live() {
    return socket?.readyState === WebSocket.OPEN;
  }

  // Editing happens in the composer: it says so, its button saves, and
  // Escape or "Cancel editing" puts it back.
  function startEditing(id, markdown) {
    const body = form.querySelector('[name=body]');
    editing = id;
    acknowledge = false;
    form.querySelector('input[name=reply_to]')?.remove();
    complain('');
    if (heading) heading.textContent = 'Edit your message';
    const submit = form.querySelector('button[type=submit]');
    if (submit) submit.textContent = 'Save changes';
    if (!form.querySelector('button.cancel-edit')) {
      const cancel = el('button', { type: 'button', class: 'secondary cancel-edit' }, 'Cancel editing');
      cancel.addEventListener('click', () => {
        stopEditing();
        document.querySelector(`#m-${id} a[data-edit]`)?.focus();
      });
      submit?.after(' ', cancel);
    }
    body.value = markdown;
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  }

  function stopEditing() {
    editing = null;
    acknowledge = false;
    if (heading) heading.textContent = headingText;
    const submit = form.querySelector('button[type=submit]');
    if (submit && sendLabel) submit.textContent = sendLabel;
    form.querySelector('button.cancel-edit')?.remove();
    form.reset();
  }

  if (form) {
    const body = form.querySelector('[name=body]');
    form.addEventListener('submit', (event) => {
      if (!live()) return; // the form posts as usual
      event.preventDefault();
      const acknowledged = acknowledge || form.querySelector('input[name=acknowledge]')?.value === '1';
      if (editing) {
        socket.send(JSON.stringify({ type: 'edit', id: editing, body: body.value, acknowledge: acknowledged }));
        return;
      }
      const replyTo = form.querySelector('input[name=reply_to]')?.value;
      socket.send(JSON.stringify({
        type: 'send',
        body: body.value,
        reply_to: replyTo ? Number(replyTo) : null,
        acknowledge: acknowledged,
        question: Boolean(form.querySelector('input[name=question]')),
      }));
    });
    body.addEventListener('input', () => {
      acknowledge = false;
      const now = Date.now();
      if (!editing && live() && now - lastTyping > 2000) {
        lastTyping = now;
        socket.send('{"type":"typing"}');
      }
    });
    // Enter sends, Shift+Enter makes a new line, Escape stops editing.
    body.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === 'Escape' && editing) {
        event.preventDefault();
        const id = editing;
        stopEditing();
        document.querySelector(`#m-${id} a[data-edit]`)?.focus();
      }
    });
  }
  // Reply and edit links work in the composer when live; reactions and
  // deletes go over the socket.
  room.addEventListener('click', (event) => {
    if (!form || !live()) return;
    const reply = event.target.closest('a[data-reply]');
    const edit = event.target.closest('a[data-edit]');
    const reaction = event.target.closest('form.reactions button[name=reaction]');
    if (reply) {
      event.preventDefault();
      if (editing) stopEditing();
      form.querySelector('input[name=reply_to]')?.remove();
      form.prepend(el('input', { type: 'hidden', name: 'reply_to', value: reply.dataset.reply }));
      complain(`Replying to ${reply.dataset.name}.`);
      form.querySelector('[name=body]').focus();
    } else if (edit) {
      event.preventDefault();
      startEditing(Number(edit.dataset.edit), edit.dataset.markdown || '');
    } else if (reaction) {
      event.preventDefault();
      const id = Number(reaction.closest('li').id.slice(2));
      socket.send(JSON.stringify({ type: 'react', id, reaction: reaction.value }));
    }
  });
  room.addEventListener('submit', (event) => {
    const target = event.target;
    if (!live() || !target.action?.endsWith('/delete')) return;
    event.preventDefault();
    const id = Number(target.closest('li').id.slice(2));
    socket.send(JSON.stringify({ type: 'delete', id }));
  });
  connect();
})();
