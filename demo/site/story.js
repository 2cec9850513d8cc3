// The fixture story, written like a Toucan slide: read the slide name from
// the query, fetch its data from the backend (API_BASEROUTE, from
// tc-params.js), then replace the busy loader by an SVG bar chart.
// `variant` makes it misbehave in the ways real stories do.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var slide = params.get('slide') || 'sales';
  var variant = params.get('variant') || '';
  var delay = params.get('delay') || (variant === 'slow' ? '2500' : '300');
  var content = document.querySelector('.tc-slide__content');
  var api = window.API_BASEROUTE;
  var SVG = 'http://www.w3.org/2000/svg';

  document.getElementById('tc-app-name').textContent = 'Toucan · ' + slide;

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawChart(data) {
    content.innerHTML = '';
    var title = document.createElement('h1');
    title.className = 'tc-story-title';
    title.textContent = data.title;
    var subtitle = document.createElement('p');
    subtitle.className = 'tc-story-subtitle';
    subtitle.textContent = data.subtitle;
    content.appendChild(title);
    content.appendChild(subtitle);

    var width = 936, height = 380, left = 48, bottom = 36, top = 26;
    var svg = el('svg', { class: 'tc-chart', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
    var max = Math.max.apply(null, data.series.map(function (d) { return d.value; }));
    var step = (width - left) / data.series.length;
    svg.appendChild(el('line', { class: 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
    data.series.forEach(function (d, i) {
      var h = Math.round(((height - bottom - top) * d.value) / max);
      var x = left + i * step + step * 0.15;
      svg.appendChild(el('rect', { class: 'bar', x: x, y: height - bottom - h, width: step * 0.7, height: h, rx: 3 }));
      svg.appendChild(el('text', { class: 'label', x: x + step * 0.35, y: height - 12, 'text-anchor': 'middle' }, d.label));
      svg.appendChild(el('text', { class: 'value', x: x + step * 0.35, y: height - bottom - h - 6, 'text-anchor': 'middle' }, String(d.value)));
    });
    content.appendChild(svg);
    // Where and when it was rendered: shows the worker's lang and timezone settings.
    var caption = document.createElement('p');
    caption.className = 'tc-story-caption';
    caption.textContent = 'Rendered for ' + navigator.language + ' · ' + Intl.DateTimeFormat().resolvedOptions().timeZone;
    content.appendChild(caption);
    content.setAttribute('aria-busy', 'false');
  }

  function misbehaveAfterReady() {
    if (variant === 'poll') {
      // Never network-quiet: a request every 100 ms, forever.
      setInterval(function () { fetch(api + '/poll').catch(function () {}); }, 100);
    }
    if (variant === 'jitter') {
      // Never layout-stable: the block keeps changing height.
      var grow = 0;
      setInterval(function () { grow = (grow + 7) % 60; content.style.height = 520 + grow + 'px'; }, 40);
    }
  }

  if (variant === 'forbidden') {
    // A story that reaches outside the stack: a script on a foreign origin,
    // an image on a CDN that is not allowed, and a local file.
    var script = document.createElement('script');
    script.src = window.TC_PARAMS.forbiddenOrigin + '/evil.js';
    document.head.appendChild(script);
    var img = new Image();
    img.src = 'https://cdn.forbidden.invalid/logo.png';
    fetch('file:///etc/hostname').catch(function () {});
  }

  if (variant === 'never') return; // the loader stays busy forever

  var path = variant === 'unauthorized' ? '/private/' : '/data/';
  fetch(api + path + encodeURIComponent(slide) + '?delay=' + encodeURIComponent(delay))
    .then(function (res) {
      if (!res.ok) throw new Error('data call failed: HTTP ' + res.status);
      return res.json();
    })
    .then(function (data) {
      drawChart(data);
      misbehaveAfterReady();
    })
    .catch(function (err) {
      // Like Toucan: the spinner stays, the error goes to the console.
      console.error(String(err && err.message ? err.message : err));
    });
})();
