// The live view: what the collector stored, then what arrives, newest first.
// Payloads are untrusted: the DOM is built with textContent only.
(function () {
  var MAX_ROWS = 1000; // older rows leave the page (not the store)
  var list = document.getElementById('entries');
  var empty = document.getElementById('empty');
  var status = document.getElementById('status');
  var lastSeq = 0; // number of the newest entry shown
  var countsSeq = -1; // `seq` of the counts shown
  var buffered = null; // updates that arrive while the snapshot loads

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function setCounts(counts, seq) {
    if (seq < countsSeq) return;
    countsSeq = seq;
    ['events', 'requests', 'duplicates', 'rejected'].forEach(function (key) {
      document.getElementById('count-' + key).textContent = String(counts[key]);
    });
  }

  function row(entry, fresh) {
    var message = entry.message || {};
    var details = el('details', 'entry kind-' + entry.kind + (fresh ? ' fresh' : ''));
    var summary = el('summary');
    var type = el('span', 'cell type');
    if (entry.kind === 'request') {
      type.appendChild(el('span', 'badge bad', entry.request.status ? 'HTTP ' + entry.request.status : 'dropped'));
      summary.appendChild(type);
      var from = entry.request.writeKey ? ' from ' + entry.request.writeKey : '';
      summary.appendChild(el('span', 'cell name span', 'batch of ' + entry.request.count + from + (entry.request.fault ? ' (injected fault)' : '')));
    } else {
      type.appendChild(el('span', 'badge type-' + message.type, message.type == null ? '?' : message.type));
      if (entry.kind !== 'accepted') type.appendChild(el('span', 'badge ' + entry.kind, entry.kind));
      summary.appendChild(type);
      var name = message.type === 'track' ? message.event : message.type === 'page' ? message.name : message.userId;
      summary.appendChild(el('span', 'cell name', name == null ? '' : name));
      summary.appendChild(el('span', 'cell mono', message.anonymousId == null ? '' : message.anonymousId));
      summary.appendChild(el('span', 'cell mono', message.userId == null ? '' : message.userId));
      summary.appendChild(el('span', 'cell mono', message.messageId == null ? '' : message.messageId));
      summary.appendChild(el('span', 'cell mono', message.timestamp == null ? '' : message.timestamp));
    }
    // The reason stays visible on the collapsed row: it is why the row is marked.
    if (entry.reason) summary.appendChild(el('span', 'reason', entry.reason));
    details.appendChild(summary);
    details.appendChild(el('pre', 'payload', JSON.stringify(entry.kind === 'request' ? entry.request : message, null, 2)));
    details.title = 'received ' + entry.receivedAt;
    return details;
  }

  function addEntries(entries, fresh) {
    entries.forEach(function (entry) {
      if (entry.seq <= lastSeq) return; // already shown (from the snapshot)
      lastSeq = entry.seq;
      list.insertBefore(row(entry, fresh), list.firstChild);
    });
    while (list.childElementCount > MAX_ROWS) list.removeChild(list.lastChild);
    empty.hidden = list.childElementCount > 0;
  }

  function applyUpdate(update) {
    if (update.type === 'clear') {
      list.replaceChildren();
      empty.hidden = false;
    } else {
      addEntries(update.entries || [], true);
    }
    setCounts(update.counts, update.seq);
  }

  function onUpdate(event) {
    var update = JSON.parse(event.data);
    if (buffered) buffered.push(update);
    else applyUpdate(update);
  }

  // On every (re)connection: show the stored state, then the updates that
  // arrived meanwhile. Entry numbers drop what both contain.
  function resync() {
    buffered = [];
    fetch('/api/events', { cache: 'no-store' })
      .then(function (response) { return response.json(); })
      .then(function (snapshot) {
        list.replaceChildren();
        lastSeq = 0;
        countsSeq = -1;
        addEntries(snapshot.entries, false);
        setCounts(snapshot.counts, snapshot.seq);
        var pending = buffered;
        buffered = null;
        pending.forEach(applyUpdate);
      });
  }

  var source = new EventSource('/api/stream');
  source.addEventListener('open', function () {
    status.textContent = 'live';
    status.className = 'status ok';
    resync();
  });
  source.addEventListener('error', function () {
    status.textContent = 'disconnected: retrying…';
    status.className = 'status bad';
  });
  source.addEventListener('update', onUpdate);
  source.addEventListener('clear', onUpdate);

  document.getElementById('clear').addEventListener('click', function () {
    if (confirm('Forget every stored event, the data file included?')) fetch('/admin/clear', { method: 'POST' });
  });
})();
