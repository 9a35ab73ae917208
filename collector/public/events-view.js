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

  /** What a message carries, on one line: the traits of an identify, the properties of the others. */
  function dataOf(message) {
    var data = message.type === 'identify' ? message.traits : message.properties;
    return data && typeof data === 'object' && Object.keys(data).length ? JSON.stringify(data) : '';
  }

  /**
   * `context.consent.categoryPreferences`, the categories a visitor consented
   * to (README, "Consent"), as one chip per category: "✓ analytics",
   * "✗ advertising". A value that is not a boolean shows as itself, so that a
   * wrong shape is seen at once.
   */
  function consentOf(message) {
    var consent = message.context && message.context.consent;
    var preferences = consent && consent.categoryPreferences;
    if (!preferences || typeof preferences !== 'object') return null;
    var chips = el('span', 'consent');
    chips.title = 'context.consent.categoryPreferences';
    chips.appendChild(el('span', 'consent-label', 'consent'));
    Object.keys(preferences).forEach(function (category) {
      var value = preferences[category];
      var text = value === true ? '\u2713 ' + category : value === false ? '\u2717 ' + category : category + ': ' + JSON.stringify(value);
      chips.appendChild(el('span', 'chip ' + (value === true ? 'on' : value === false ? 'off' : 'odd'), text));
    });
    return chips;
  }

  /** What the request was, for a row of a request that stored nothing. */
  function requestOf(request) {
    // Without a writeKey the body was not read as a batch (malformed, too large...).
    var what = request.writeKey ? 'batch of ' + request.count + ' from ' + request.writeKey : 'body of ' + request.bytes + ' B';
    return what + (request.fault ? ' (injected fault)' : '');
  }

  /**
   * One entry of the store as a row. The full row (live view) has a cell per
   * column of its header; the compact one (demo panel) has type, name and the
   * time it was received. Under them: the message's data and consent, and the
   * reason of a row that is marked.
   */
  function row(entry, fresh, compact) {
    var message = entry.message || {};
    var details = el('details', 'entry kind-' + entry.kind + (compact ? ' compact' : '') + (fresh ? ' fresh' : ''));
    var summary = el('summary');
    var type = el('span', 'cell type');
    summary.appendChild(type);
    if (entry.kind === 'request') {
      type.appendChild(el('span', 'badge bad', entry.request.status ? 'HTTP ' + entry.request.status : 'dropped'));
      summary.appendChild(el('span', compact ? 'cell name' : 'cell name span', requestOf(entry.request)));
    } else {
      type.appendChild(el('span', 'badge type-' + message.type, message.type == null ? '?' : message.type));
      if (entry.kind !== 'accepted') type.appendChild(el('span', 'badge ' + entry.kind, entry.kind));
      var name = message.type === 'track' ? message.event : message.type === 'page' ? message.name : message.userId;
      summary.appendChild(el('span', 'cell name', name == null ? '' : name));
      if (!compact) {
        ['anonymousId', 'userId', 'messageId', 'timestamp'].forEach(function (field) {
          summary.appendChild(el('span', 'cell mono', message[field] == null ? '' : message[field]));
        });
      }
    }
    if (compact) summary.appendChild(el('span', 'cell mono time', timeOf(entry.receivedAt)));
    var data = entry.kind === 'request' ? '' : dataOf(message);
    var consent = entry.kind === 'request' ? null : consentOf(message);
    if (data || consent) {
      var extra = el('span', 'extra');
      if (data) extra.appendChild(el('span', 'data mono', data));
      if (consent) extra.appendChild(consent);
      summary.appendChild(extra);
    }
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
