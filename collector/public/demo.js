// Helpers of the demo pages (not part of the SDK).

/** The body of an action function as the code a site owner would write. */
function sourceOf(fn) {
  var body = fn.toString().replace(/^\(\)\s*=>\s*/, '');
  if (body.charAt(0) === '{') body = body.slice(1, -1).trim();
  // Continuation lines carry the indentation of the page's inline script: the
  // least indented of them (the closing bracket) goes back to the margin.
  var lines = body.split('\n');
  var indent = function (line) { return line.match(/^ */)[0].length; };
  var cut = Math.min.apply(null, lines.slice(1).filter(function (l) { return l.trim(); }).map(indent));
  return lines.map(function (l, i) { return i ? l.slice(Math.min(cut, indent(l))) : l; }).join('\n');
}

/** One button per action; each shows the code it runs. */
function demoActions(container, actions) {
  actions.forEach(function (action) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'action';
    var code = document.createElement('code');
    code.textContent = sourceOf(action);
    button.appendChild(code);
    button.addEventListener('click', function () {
      action();
      refreshIdentity();
      button.classList.remove('done');
      void button.offsetWidth; // restart the animation
      button.classList.add('done');
    });
    container.appendChild(button);
  });
}

function readId(name) {
  var match = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
  if (match) return decodeURIComponent(match[1]);
  try { return localStorage.getItem(name); } catch (e) { return null; }
}

/** Shows the visitor's identity as the SDK stored it (README, "Identity"). */
function refreshIdentity() {
  var panel = document.getElementById('identity');
  if (!panel) return;
  var rows = [['anonymousId', readId('_cioanonid')], ['userId', readId('_cioid')]];
  panel.replaceChildren();
  rows.forEach(function (row) {
    var item = document.createElement('span');
    var label = document.createElement('b');
    label.textContent = row[0] + ': ';
    item.appendChild(label);
    item.appendChild(document.createTextNode(row[1] || '(none)'));
    panel.appendChild(item);
  });
}

refreshIdentity();
setInterval(refreshIdentity, 1000);

// Without a build there is no SDK to demo: say so on the page.
fetch('/track.js', { method: 'HEAD', cache: 'no-store' }).then(function (response) {
  if (response.ok) return;
  var warning = document.getElementById('build-warning');
  warning.textContent = 'dist/track.js is missing: run `npm run build` (or `npm start`, which builds first), then reload.';
  warning.hidden = false;
});

// Beside the buttons: what the collector receives (rows and stream: events-view.js).
(function () {
  var list = document.getElementById('received-entries');
  var status = document.getElementById('received-status');
  if (!list || typeof CioEventsView === 'undefined') return;
  CioEventsView.showEntries({
    list: list,
    empty: document.getElementById('received-empty'),
    maxRows: Number(list.getAttribute('data-max-rows')) || 20,
    compact: true,
    onStatus: function (connected) {
      status.textContent = connected ? 'live' : 'disconnected: retrying…';
      status.className = connected ? 'status ok' : 'status bad';
    },
  });
})();
