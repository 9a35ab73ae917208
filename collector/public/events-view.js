// What the collector received, as rows of <details>, kept up to date from
// /api/stream. Shared by the live view (/live) and the "Received by the
// collector" panel of the demo pages. Payloads are untrusted: the DOM is built
// with textContent only.
var CioEventsView = (function () {
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  /** "14:03:07" of an ISO date, in local time. */
  function timeOf(iso) {
    var date = new Date(iso);
    return isNaN(date) ? '' : date.toTimeString().slice(0, 8);
  }

  /**
   * One entry of the store as a row. The full row (live view) has a cell per
   * column of its header; the compact one (demo panel) has type, name and the
   * time it was received.
   */
  function row(entry, fresh, compact) {
    var message = entry.message || {};
    var details = el('details', 'entry kind-' + entry.kind + (compact ? ' compact' : '') + (fresh ? ' fresh' : ''));
    var summary = el('summary');
    var type = el('span', 'cell type');
    if (entry.kind === 'request') {
      type.appendChild(el('span', 'badge bad', entry.request.status ? 'HTTP ' + entry.request.status : 'dropped'));
      summary.appendChild(type);
      var from = entry.request.writeKey ? ' from ' + entry.request.writeKey : '';
      summary.appendChild(el('span', compact ? 'cell name' : 'cell name span', 'batch of ' + entry.request.count + from + (entry.request.fault ? ' (injected fault)' : '')));
    } else {
      type.appendChild(el('span', 'badge type-' + message.type, message.type == null ? '?' : message.type));
      if (entry.kind !== 'accepted') type.appendChild(el('span', 'badge ' + entry.kind, entry.kind));
      summary.appendChild(type);
      var name = message.type === 'track' ? message.event : message.type === 'page' ? message.name : message.userId;
      summary.appendChild(el('span', 'cell name', name == null ? '' : name));
      if (!compact) {
        summary.appendChild(el('span', 'cell mono', message.anonymousId == null ? '' : message.anonymousId));
        summary.appendChild(el('span', 'cell mono', message.userId == null ? '' : message.userId));
        summary.appendChild(el('span', 'cell mono', message.messageId == null ? '' : message.messageId));
        summary.appendChild(el('span', 'cell mono', message.timestamp == null ? '' : message.timestamp));
      }
    }
    if (compact) summary.appendChild(el('span', 'cell mono time', timeOf(entry.receivedAt)));
    // The reason stays visible on the collapsed row: it is why the row is marked.
    if (entry.reason) summary.appendChild(el('span', 'reason', entry.reason));
    details.appendChild(summary);
    details.appendChild(el('pre', 'payload', JSON.stringify(entry.kind === 'request' ? entry.request : message, null, 2)));
    details.title = 'received ' + entry.receivedAt;
    return details;
  }

  /**
   * Shows in `list` the stored entries, then those that arrive, newest first.
   * @param {{ list: Element, empty?: Element, maxRows: number, compact?: boolean,
   *   onCounts?: (counts: object) => void, onStatus?: (connected: boolean) => void }} options
   * @returns {EventSource}
   */
  function showEntries(options) {
    var list = options.list;
    var empty = options.empty;
    var maxRows = options.maxRows;
    var onCounts = options.onCounts || function () {};
    var onStatus = options.onStatus || function () {};
    var lastSeq = 0; // number of the newest entry shown
    var countsSeq = -1; // `seq` of the counts shown
    var buffered = null; // updates that arrive while the snapshot loads

    function setCounts(counts, seq) {
      if (seq < countsSeq) return;
      countsSeq = seq;
      onCounts(counts);
    }

    function setEmpty() {
      if (empty) empty.hidden = list.childElementCount > 0;
    }

    function addEntries(entries, fresh) {
      // Older rows leave the page (not the store): only the newest can stay.
      entries.filter(function (entry) { return entry.seq > lastSeq; }).slice(-maxRows).forEach(function (entry) {
        lastSeq = entry.seq;
        list.insertBefore(row(entry, fresh, options.compact), list.firstChild);
      });
      while (list.childElementCount > maxRows) list.removeChild(list.lastChild);
      setEmpty();
    }

    function applyUpdate(update) {
      if (update.type === 'clear') {
        list.replaceChildren();
        setEmpty();
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
      onStatus(true);
      resync();
    });
    source.addEventListener('error', function () {
      onStatus(false);
    });
    source.addEventListener('update', onUpdate);
    source.addEventListener('clear', onUpdate);
    return source;
  }

  return { showEntries: showEntries };
})();
