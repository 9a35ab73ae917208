/*
 * cio-track snippet for pages that enforce Trusted Types
 * (`Content-Security-Policy: require-trusted-types-for 'script'`). The same
 * as snippet.js, but the URL of track.js goes through a policy named
 * cio-track that can make that one URL and nothing else: allow it with
 * `trusted-types cio-track` beside the page's own policy names. Where the
 * browser has no Trusted Types, or the page's policy does not allow the name
 * (or has it already), the plain URL is used, which a default policy of the
 * page may vet; if nothing takes it, the snippet stops quietly.
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
  var src = 'https://YOUR_HOST/track.js';
  try {
    src = w.trustedTypes.createPolicy('cio-track', {
      createScriptURL: function () {
        return src;
      },
    }).createScriptURL('');
  } catch (e) {}
  try {
    script.src = src;
  } catch (e) {
    return;
  }
  var first = d.getElementsByTagName('script')[0];
  if (first && first.parentNode) first.parentNode.insertBefore(script, first);
  else d.head.appendChild(script);
})(window, document);
