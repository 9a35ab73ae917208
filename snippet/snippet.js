/*
 * cio-track snippet. Paste it into your page's <head>, inside a <script> tag,
 * and edit the two placeholders: YOUR_SITE_ID and the URL of track.js.
 *
 * Until track.js arrives, the stub methods queue every call on the `_cio`
 * array; the SDK replays them in order when it loads.
 */
(function (w, d) {
  var cio = (w._cio = w._cio || []);
  var methods = 'load identify sidentify track page on off reset consent'.split(' ');
  var stub = function (name) {
    // Never replace a real method: the snippet may run again after the SDK loaded.
    cio[name] =
      cio[name] ||
      function () {
        cio.push([name].concat([].slice.call(arguments)));
      };
  };
  for (var i = 0; i < methods.length; i++) stub(methods[i]);

  var script = d.createElement('script');
  script.async = true;
  script.id = 'cio-tracker';
  script.setAttribute('data-site-id', 'YOUR_SITE_ID');
  script.setAttribute('data-use-array-params', 'true');
  script.src = 'https://YOUR_HOST/track.js';
  var first = d.getElementsByTagName('script')[0];
  if (first && first.parentNode) first.parentNode.insertBefore(script, first);
  else d.head.appendChild(script);
})(window, document);
