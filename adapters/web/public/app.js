/*
 * The ask page's script (no framework, no build step). It follows the visitor's threads over
 * server-sent events (EventSource: the browser reconnects by itself and the server resends the
 * threads), inserts or updates each message from the HTML the server escaped, turns the Ask, Cancel,
 * Retry, reply, flag and vote forms into in-place requests (Cancel asks to confirm first), keeps focus and open
 * <details> across live edits, and announces new answers to screen readers. Without it the forms
 * still work as plain posts.
 */
/* global document, window, EventSource, fetch, FormData, URLSearchParams */
'use strict';

(() => {
  const threads = document.getElementById('threads');
  if (!threads) return;
  const told = document.getElementById('told');
  const announcer = document.getElementById('announcer');
  const me = document.body.dataset.visitor;
  let ready = false;

  /** Users named in a message: the visitor's own pseudonym reads "you". */
  const markYou = (root) => {
    for (const el of root.querySelectorAll('.user[data-visitor]')) if (el.dataset.visitor === me) el.textContent = 'you';
  };
  markYou(threads);

  /** A sentence for screen readers (polite). */
  const say = (text) => {
    announcer.textContent = '';
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  };

  /** A notice above the threads, for the visitor (a refusal, an error). */
  const tell = (text, isError) => {
    told.replaceChildren();
    if (!text) return;
    const p = document.createElement('p');
    p.className = isError ? 'notice error' : 'notice';
    p.textContent = text;
    told.append(p);
  };

  /** One element from server HTML (escaped there; the Content-Security-Policy runs no inline script anyway). */
  const fromHtml = (html) => {
    const template = document.createElement('template');
    template.innerHTML = html;
    return template.content.firstElementChild;
  };

  const threadOf = (id) => {
    let thread = document.getElementById(`t-${id}`);
    if (!thread) {
      thread = document.createElement('article');
      thread.className = 'thread';
      thread.id = `t-${id}`;
      thread.dataset.thread = id;
      thread.setAttribute('aria-labelledby', `m-${id}`);
      const replies = document.createElement('ol');
      replies.className = 'replies';
      thread.append(replies);
      // The reply box, from the server's template (its action names this thread).
      const reply = document.getElementById('reply-template')?.content.firstElementChild?.cloneNode(true);
      if (reply) {
        reply.setAttribute('action', `/threads/${encodeURIComponent(id)}/reply`);
        thread.append(reply);
      }
      document.getElementById('no-threads')?.remove();
      threads.prepend(thread);
    }
    return thread;
  };

  /** Which <details> are open, by their position, so a live edit keeps them open. */
  const openDetails = (el) => [...el.querySelectorAll('details')].map((d) => d.open);

  /**
   * Updates a message in place: the parts of it that changed are replaced and the rest kept, so a
   * focused Cancel button keeps its focus while the progress above it moves.
   */
  const update = (old, next) => {
    const a = old.firstElementChild;
    const b = next.firstElementChild;
    const sameShape = a && b && a.tagName === b.tagName && a.className === b.className && a.children.length === b.children.length;
    if (sameShape) {
      for (const child of [...a.children]) {
        const replacement = b.firstElementChild;
        if (child.outerHTML !== replacement.outerHTML) child.replaceWith(replacement);
        else replacement.remove();
      }
      old.dataset.rev = next.dataset.rev;
      return old;
    }
    const open = openDetails(old);
    const active = document.activeElement;
    const focused = old.contains(active);
    // A focused control (Cancel) is found again in the new message by its form's action.
    const action = focused ? active.closest?.('form[data-action]')?.getAttribute('action') : undefined;
    old.replaceWith(next);
    next.querySelectorAll('details').forEach((d, i) => {
      if (open[i]) d.open = true;
    });
    if (focused) {
      const again = action ? [...next.querySelectorAll('form[data-action]')].find((f) => f.getAttribute('action') === action)?.querySelector('button') : undefined;
      if (again) again.focus();
      else {
        next.setAttribute('tabindex', '-1');
        next.focus();
      }
    }
    return next;
  };

  const upsert = (m) => {
    const existing = document.getElementById(`m-${m.id}`);
    if (existing && Number(existing.dataset.rev) >= m.rev) return;
    const el = fromHtml(m.html);
    if (!el) return;
    markYou(el);
    if (existing) {
      const now = update(existing, el);
      // The run ended: its confirmation, if open, goes with its Cancel button.
      if (!now.querySelector('form[data-action="cancel"]')) now.parentElement?.querySelector('.confirm')?.remove();
      if (ready && m.kind === 'progress' && /^(Done|Stopped)/.test(m.text)) say(m.text);
      return;
    }
    if (!m.thread) threadOf(m.id).prepend(el);
    else {
      const li = document.createElement('li');
      li.append(el);
      threadOf(m.thread).querySelector('.replies').append(li);
    }
    if (ready && m.kind !== 'progress') say(m.text);
  };

  const source = new EventSource('/events');
  source.addEventListener('message', (event) => {
    try {
      upsert(JSON.parse(event.data));
    } catch {
      // A malformed event is skipped; the next reconnection resends everything.
    }
  });
  source.addEventListener('ready', () => {
    ready = true;
    document.body.dataset.live = 'ready';
  });
  source.addEventListener('error', () => {
    document.body.dataset.live = 'reconnecting';
  });

  /** Posts a form's fields (and extra ones) as a urlencoded form; resolves to the JSON answer. */
  const post = async (action, fields) => {
    const response = await fetch(action, { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams(fields) });
    try {
      return await response.json();
    } catch {
      return { error: response.status === 429 ? 'Too many requests; wait a minute and try again.' : `The bot answered ${response.status}.` };
    }
  };
  const unreachable = 'The page could not reach the bot. Is it still running?';

  const ask = document.getElementById('ask');
  if (ask) {
    const button = ask.querySelector('button[type="submit"]');
    const question = ask.querySelector('#question');
    ask.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      ask.setAttribute('aria-busy', 'true');
      try {
        const answer = await post(ask.action, new FormData(ask));
        if (answer.refusal || answer.error) tell(answer.refusal || answer.error, true);
        else {
          tell('');
          question.value = '';
        }
      } catch {
        tell(unreachable, true);
      } finally {
        button.disabled = false;
        ask.removeAttribute('aria-busy');
      }
    });
    // Enter asks; Shift+Enter makes a new line.
    question.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ask.requestSubmit();
      }
    });
  }

  /** Cancel asks first, in place: "Cancel the run" or "Keep it running". */
  const confirmCancel = (sent) => {
    // The message may have been redrawn while the request was out: use its current Cancel form.
    const form = [...threads.querySelectorAll('form[data-action="cancel"]')].find((f) => f.getAttribute('action') === sent.getAttribute('action'));
    // None left: the run ended meanwhile, and there is nothing to confirm.
    if (!form) return;
    const holder = form.closest('li') ?? form.parentElement;
    holder.querySelector('.confirm')?.remove();
    const box = document.createElement('div');
    box.className = 'confirm';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', 'Cancel the run?');
    const text = document.createElement('p');
    text.textContent = 'Cancel this run? What it found so far is not kept.';
    const yes = document.createElement('button');
    yes.type = 'button';
    yes.textContent = 'Cancel the run';
    const no = document.createElement('button');
    no.type = 'button';
    no.className = 'secondary';
    no.textContent = 'Keep it running';
    box.append(text, yes, ' ', no);
    holder.append(box);
    yes.focus();
    no.addEventListener('click', () => {
      box.remove();
      holder.querySelector('form[data-action="cancel"] button')?.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        const answer = await post(form.action, { confirm: '1' });
        box.remove();
        if (answer.told || answer.error) tell(answer.told || answer.error, true);
      } catch {
        tell(unreachable, true);
      }
    });
  };

  // In a reply box, Enter sends; Shift+Enter makes a new line.
  threads.addEventListener('keydown', (event) => {
    const form = event.target.closest?.('form[data-action="reply"]');
    if (form && event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  threads.addEventListener('submit', async (event) => {
    const form = event.target.closest('form[data-action]');
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector('button');
    // Cancel and Retry send nothing; a reply, a flag and a vote send their fields (the vote, its button's).
    const action = form.dataset.action;
    const fields = action === 'cancel' || action === 'retry' ? {} : new FormData(form, event.submitter ?? undefined);
    button.disabled = true;
    try {
      const answer = await post(form.action, fields);
      if (answer.told || answer.error) tell(answer.told || answer.error, !answer.ok);
      else if (action === 'cancel' && answer.confirm) confirmCancel(form);
      else if (answer.replied) tell('');
      if (!answer.error && (answer.ok || answer.replied)) form.reset();
    } catch {
      tell(unreachable, true);
    } finally {
      button.disabled = false;
    }
  });
})();
