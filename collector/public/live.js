// The live view: what the collector stored, then what arrives, newest first
// (rows and stream: events-view.js).
(function () {
  var status = document.getElementById('status');

  CioEventsView.showEntries({
    list: document.getElementById('entries'),
    empty: document.getElementById('empty'),
    maxRows: 1000, // older rows leave the page (not the store)
    onCounts: function (counts) {
      ['events', 'requests', 'duplicates', 'rejected'].forEach(function (key) {
        document.getElementById('count-' + key).textContent = String(counts[key]);
      });
    },
    onStatus: function (connected) {
      status.textContent = connected ? 'live' : 'disconnected: retrying…';
      status.className = connected ? 'status ok' : 'status bad';
    },
  });

  document.getElementById('clear').addEventListener('click', function () {
    if (confirm('Forget every stored event, the data file included?')) fetch('/admin/clear', { method: 'POST' });
  });
})();
