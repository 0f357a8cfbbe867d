/**
 * Live updates: the page listens to /dashboard/events and, when something it shows changed,
 * fetches itself again and swaps `<main>`'s content (server-rendered both times; no client state).
 * `data-watch` on <main> is "*" (any deployment) or one instance id.
 */
export const liveScript = `
(() => {
  const main = document.querySelector('main[data-watch]');
  if (!main || !window.EventSource) return;
  const watch = main.dataset.watch;
  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const res = await fetch(location.href, { headers: { 'x-fragment': '1' }, credentials: 'same-origin' });
      if (res.ok) { main.innerHTML = await res.text(); main.dispatchEvent(new CustomEvent('kgd:refreshed')); }
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  const es = new EventSource('/dashboard/events');
  es.addEventListener('change', (e) => {
    const c = JSON.parse(e.data);
    const kinds = (main.dataset.kinds || 'instances').split(',');
    if ((kinds.includes('instances') && (watch === '*' ? c.instances.length > 0 : c.instances.includes(watch)))
      || (kinds.includes('inbox') && c.inbox) || (kinds.includes('audit') && c.audit)) refresh();
  });
  const dot = document.querySelector('.live');
  es.onopen = () => dot && (dot.textContent = 'live');
  es.onerror = () => dot && (dot.textContent = 'reconnecting');
})();
`;
