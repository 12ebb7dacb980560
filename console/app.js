// The console's router: hash routes, one page mounted at a time, one shared event stream.
import { connectEvents } from './api.js';
import { renderDevices } from './devices-page.js';
import { renderMessages } from './messages-page.js';
import { renderTwin } from './twin-page.js';

const page = document.getElementById('page');
const alertBox = document.getElementById('alert');
const liveStatus = document.getElementById('live-status');
let unmount = () => {};

/** Shows a one-line error to the user; pages call it for failed API calls. */
export function showError(err) {
  alertBox.textContent = err instanceof Error ? err.message : String(err);
  alertBox.hidden = false;
}

export function clearError() {
  alertBox.hidden = true;
  alertBox.textContent = '';
}

function route() {
  const hash = location.hash || '#/devices';
  const twin = /^#\/devices\/([^/]+)\/modules\/([^/]+)$/.exec(hash);
  unmount();
  clearError();
  page.replaceChildren();
  let name = 'devices';
  if (twin) {
    name = 'twin';
    unmount = renderTwin(page, decodeURIComponent(twin[1]), decodeURIComponent(twin[2]), { showError, clearError });
  } else if (hash === '#/messages') {
    name = 'messages';
    unmount = renderMessages(page, { showError, clearError });
  } else {
    unmount = renderDevices(page, { showError, clearError });
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === (name === 'twin' ? 'devices' : name)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

connectEvents((state) => {
  liveStatus.textContent = state === 'live' ? 'live' : state === 'closed' ? 'disconnected' : 'reconnecting…';
  liveStatus.dataset.state = state;
});
window.addEventListener('hashchange', route);
route();
