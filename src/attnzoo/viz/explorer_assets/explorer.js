/* attnzoo attention explorer: plain JavaScript, no dependencies, no network.
 * Mounts every div.az-explorer on the page from the JSON in its <script class="az-data">;
 * the JSON schema of each view is documented in attnzoo/viz/explorer.py. */
(function () {
  "use strict";
  if (window.attnzooExplorer) { window.attnzooExplorer.mountAll(); return; }

  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"];
  var SVGNS = "http://www.w3.org/2000/svg";
  var ROW = 22;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function fmt(x, digits) { return Number(x).toFixed(digits); }
  function rgba(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a.toFixed(3) + ")";
  }
  function max(a) { return a.reduce(function (m, x) { return x > m ? x : m; }, 0); }
  function argmax(a) { var k = 0; a.forEach(function (x, i) { if (x > a[k]) k = i; }); return k; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function tok(text, index) { return el("span", {"class": "az-tok", tabindex: "0", "data-index": String(index)}, [text]); }
  /* hover or keyboard focus selects; leaving returns to the pinned (clicked) item, if any */
  function pointable(node, enter, leave, click) {
    node.addEventListener("mouseenter", enter);
    node.addEventListener("focus", enter);
    node.addEventListener("mouseleave", leave);
    node.addEventListener("blur", leave);
    if (click) node.addEventListener("click", click);
  }
  function select(options, onchange) {
    var s = el("select", {}, options.map(function (o, i) { return el("option", {value: String(i)}, [o]); }));
    s.addEventListener("change", function () { onchange(parseInt(s.value, 10)); });
    return s;
  }
  function loadImage(d, onload) {
    var img = new Image();
    img.onload = function () { onload(img); };
    img.src = d.image;
    return img;
  }
  function imageCanvas(d) {
    return el("canvas", {width: String(d.width * d.scale), height: String(d.height * d.scale), "class": "az-image"});
  }

  /* ---- sequence to sequence: target (query) words over source (key) words; layers, heads, rollout ---- */
  function alignment(root, d) {
    var T = d.target.length, S = d.source.length, digits = d.digits;
    var st = {map: 0, head: -1, row: null, pinned: null};
    var controls = el("div", {"class": "az-controls"});
    var layerSel = select(d.maps.map(function (m) { return m.name; }), function (i) { st.map = i; st.head = -1; rebuildHeads(); draw(); });
    var headSel = el("select", {});
    headSel.addEventListener("change", function () { st.head = parseInt(headSel.value, 10); draw(); });
    var layerLabel = el("label", {}, ["map ", layerSel]), headLabel = el("label", {}, ["head ", headSel]);
    controls.appendChild(layerLabel); controls.appendChild(headLabel);
    if (d.maps.length < 2) layerLabel.style.display = "none";
    function heads() { return d.maps[st.map].heads; }
    function rebuildHeads() {
      clear(headSel);
      var H = heads().length;
      headSel.appendChild(el("option", {value: "-1"}, [H > 1 ? "all " + H + " heads (numbers: mean)" : "the one head"]));
      for (var h = 0; h < H; h++) headSel.appendChild(el("option", {value: String(h)}, ["head " + (h + 1)]));
      headSel.value = "-1";
      headLabel.style.display = H > 1 ? "" : "none";
    }
    function weights(i) {  /* the shown numbers for target word i: one head, or the mean over heads */
      var hs = heads();
      if (st.head >= 0) return hs[st.head][i];
      return d.source.map(function (_, j) {
        var s = 0; hs.forEach(function (h) { s += h[i][j]; }); return s / hs.length;
      });
    }
    var left = el("div", {"class": "az-col az-left"}, [el("div", {"class": "az-colhead"}, [d.query_label])]);
    var right = el("div", {"class": "az-col az-right"}, [el("div", {"class": "az-colhead"}, [d.key_label])]);
    var height = ROW * (1 + Math.max(T, S)), width = 150;
    var lines = svg("svg", {"class": "az-lines", width: String(width), height: String(height)});
    var targets = d.target.map(function (w, i) {
      var t = tok(w, i);
      pointable(t, function () { st.row = i; draw(); }, function () { st.row = st.pinned; draw(); },
                function () { st.pinned = st.pinned === i ? null : i; st.row = st.pinned; draw(); });
      left.appendChild(el("div", {"class": "az-row"}, [t]));
      return t;
    });
    var sources = d.source.map(function (w, j) {
      var t = tok(w, j), num = el("span", {"class": "az-num"});
      right.appendChild(el("div", {"class": "az-row"}, [t, num]));
      return {tok: t, num: num};
    });
    var readout = el("div", {"class": "az-readout"});
    root.appendChild(controls);
    root.appendChild(el("div", {"class": "az-cols"}, [left, lines, right]));
    root.appendChild(readout);
    function y(k) { return ROW * (k + 1) + ROW / 2; }
    function draw() {
      clear(lines);
      var hs = heads(), drawn = st.head >= 0 ? [st.head] : hs.map(function (_, h) { return h; });
      var rows = st.row === null ? d.target.map(function (_, i) { return i; }) : [st.row];
      drawn.forEach(function (h, n) {
        var colour = PALETTE[h % PALETTE.length], dy = 2 * (n - (drawn.length - 1) / 2);  /* heads side by side */
        rows.forEach(function (i) {
          hs[h][i].forEach(function (w, j) {
            if (w <= 0) return;
            var a = st.row === null ? 0.5 * w : w;
            lines.appendChild(svg("line", {x1: "2", y1: String(y(i) + dy), x2: String(width - 2), y2: String(y(j) + dy),
              stroke: colour, "stroke-width": "2", "stroke-opacity": a.toFixed(3)}));
          });
        });
      });
      targets.forEach(function (t, i) { t.classList.toggle("az-active", i === st.row); });
      if (st.row === null) {
        sources.forEach(function (s) { s.tok.style.backgroundColor = ""; s.num.textContent = ""; });
        clear(readout);
        readout.appendChild(el("span", {"class": "az-hint"}, ["Hover (or click to pin) a word in the left column (" + d.query_label + ") to see its attention over the right column (" + d.key_label + ")."]));
        return;
      }
      var w = weights(st.row), top = max(w) || 1, colour = st.head >= 0 ? PALETTE[st.head % PALETTE.length] : "#d62728";
      sources.forEach(function (s, j) {
        s.tok.style.backgroundColor = rgba(colour, w[j] / top);
        s.num.textContent = fmt(w[j], digits);
      });
      var k = argmax(w);
      readout.textContent = "\u201c" + d.target[st.row] + "\u201d attends most to \u201c" + d.source[k] + "\u201d (" + fmt(w[k], digits) + ")";
    }
    rebuildHeads();
    draw();
  }

  /* ---- text: one weight a word, a model toggle ---- */
  function text(root, d) {
    var st = {model: 0}, digits = d.digits;
    var controls = el("div", {"class": "az-controls"});
    var name = "az-model-" + Math.random().toString(36).slice(2);
    d.models.forEach(function (m, k) {
      var radio = el("input", {type: "radio", name: name, value: String(k)});
      radio.checked = k === 0;
      radio.addEventListener("change", function () { st.model = k; paint(); });
      controls.appendChild(el("label", {}, [radio, " " + m]));
    });
    if (d.models.length < 2) controls.style.display = "none";
    root.appendChild(controls);
    var docs = d.docs.map(function (doc) {
      var box = el("div", {"class": "az-doc"});
      if (doc.note) box.appendChild(el("div", {"class": "az-note"}, [doc.note]));
      var modelNote = el("div", {"class": "az-note"});
      if (doc.notes) box.appendChild(modelNote);
      var words = el("div", {}), readout = el("div", {"class": "az-readout"});
      var spans = doc.words.map(function (w, i) {
        var t = tok(w, i);
        pointable(t, function () { show(i); }, function () { show(null); });
        words.appendChild(t); words.appendChild(document.createTextNode(" "));
        return t;
      });
      box.appendChild(words); box.appendChild(readout); root.appendChild(box);
      function show(i) {
        clear(readout);
        if (i === null) { readout.appendChild(el("span", {"class": "az-hint"}, ["Hover a word for its weight."])); return; }
        readout.appendChild(document.createTextNode("\u201c" + doc.words[i] + "\u201d: "));
        d.models.forEach(function (m, k) {
          var v = el("span", {"class": "az-val", "data-model": String(k)}, [m + " " + fmt(doc.weights[k][i], digits)]);
          if (k === st.model) v.style.fontWeight = "bold";
          if (k) readout.appendChild(document.createTextNode(" \u00b7 "));
          readout.appendChild(v);
        });
      }
      return {doc: doc, spans: spans, note: modelNote, show: show};
    });
    function paint() {
      docs.forEach(function (x) {
        var w = x.doc.weights[st.model], top = max(w) || 1, colour = PALETTE[(st.model + 3) % PALETTE.length];
        x.spans.forEach(function (s, i) { s.style.backgroundColor = rgba(colour, w[i] / top); s.title = fmt(w[i], digits); });
        if (x.doc.notes) x.note.textContent = x.doc.notes[st.model];
        x.show(null);
      });
    }
    paint();
  }

  /* ---- image: a caption word's attention over the image (a grid drawn as an overlay) ---- */
  function image(root, d) {
    var st = {t: null, pinned: null}, digits = d.digits, gh = d.grid[0], gw = d.grid[1];
    var canvas = imageCanvas(d), ctx = canvas.getContext("2d"), img = null;
    var small = el("canvas", {width: String(gw), height: String(gh)}), sctx = small.getContext("2d");
    var words = el("div", {"class": "az-doc"}), readout = el("div", {"class": "az-readout"});
    var spans = d.tokens.map(function (w, i) {
      var t = tok(w, i);
      pointable(t, function () { st.t = i; draw(); }, function () { st.t = st.pinned; draw(); },
                function () { st.pinned = st.pinned === i ? null : i; st.t = st.pinned; draw(); });
      words.appendChild(t); words.appendChild(document.createTextNode(" "));
      return t;
    });
    root.appendChild(el("div", {"class": "az-media"}, [canvas]));
    root.appendChild(words); root.appendChild(readout);
    canvas.addEventListener("mousemove", function (ev) {
      if (st.t === null) return;
      var r = canvas.getBoundingClientRect();
      var row = Math.min(gh - 1, Math.floor((ev.clientY - r.top) / r.height * gh));
      var col = Math.min(gw - 1, Math.floor((ev.clientX - r.left) / r.width * gw));
      readout.textContent = "\u201c" + d.tokens[st.t] + "\u201d at row " + (row + 1) + ", column " + (col + 1) + ": " + fmt(d.weights[st.t][row][col], digits);
    });
    function draw() {
      spans.forEach(function (s, i) { s.classList.toggle("az-active", i === st.t); });
      ctx.imageSmoothingEnabled = false;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (img && img.complete) ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      if (st.t === null) {
        clear(readout);
        readout.appendChild(el("span", {"class": "az-hint"}, ["Hover (or click to pin) a word to see where the model looked."]));
        return;
      }
      var map = d.weights[st.t], flat = [].concat.apply([], map), top = max(flat) || 1;
      var px = sctx.createImageData(gw, gh);
      flat.forEach(function (w, k) { px.data[4 * k + 3] = Math.round(255 * 0.72 * (1 - w / top)); });
      sctx.putImageData(px, 0, 0);
      ctx.imageSmoothingEnabled = true;  /* bilinear upsampling of the attention grid */
      ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
      var k = argmax(flat);
      readout.textContent = "\u201c" + d.tokens[st.t] + "\u201d: peak " + fmt(flat[k], digits) + " at row " + (Math.floor(k / gw) + 1) + ", column " + (k % gw + 1) + " of the " + gh + "\u00d7" + gw + " grid";
    }
    img = loadImage(d, function () { draw(); });
    draw();
  }

  /* ---- glimpses: a sequence of boxes over an image, stepped through ---- */
  function glimpses(root, d) {
    var N = d.steps.length, st = {k: 0}, s = d.scale;
    var canvas = imageCanvas(d), ctx = canvas.getContext("2d"), img = null;
    var prev = el("button", {type: "button"}, ["\u25c0"]), next = el("button", {type: "button"}, ["\u25b6"]);
    var slider = el("input", {type: "range", min: "0", max: String(N - 1), value: "0", step: "1"});
    var label = el("span", {"class": "az-step"});
    prev.addEventListener("click", function () { go(st.k - 1); });
    next.addEventListener("click", function () { go(st.k + 1); });
    slider.addEventListener("input", function () { go(parseInt(slider.value, 10)); });
    root.setAttribute("tabindex", "0");
    root.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowLeft") go(st.k - 1); else if (ev.key === "ArrowRight") go(st.k + 1);
    });
    var readout = el("div", {"class": "az-readout"});
    root.appendChild(el("div", {"class": "az-controls"}, [prev, slider, next, label]));
    root.appendChild(el("div", {"class": "az-media"}, [canvas]));
    root.appendChild(readout);
    function centre(b) { return [(b[0] + b[2]) / 2 * s, (b[1] + b[3]) / 2 * s]; }
    function go(k) { st.k = Math.max(0, Math.min(N - 1, k)); slider.value = String(st.k); draw(); }
    function draw() {
      ctx.imageSmoothingEnabled = false;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (img && img.complete) ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 1.5; ctx.strokeStyle = "rgba(255,255,255,0.45)";
      for (var i = 0; i < st.k; i++) {
        var b = d.steps[i].boxes[0];
        ctx.strokeRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
      }
      ctx.beginPath(); ctx.strokeStyle = "#ffbf00"; ctx.lineWidth = 2;
      for (i = 0; i <= st.k; i++) {
        var c = centre(d.steps[i].boxes[0]);
        if (i) ctx.lineTo(c[0], c[1]); else ctx.moveTo(c[0], c[1]);
      }
      ctx.stroke();
      for (i = 0; i <= st.k; i++) {
        c = centre(d.steps[i].boxes[0]);
        ctx.fillStyle = i === st.k ? "#ff3b30" : "#ffbf00";
        ctx.beginPath(); ctx.arc(c[0], c[1], i === st.k ? 4 : 3, 0, 2 * Math.PI); ctx.fill();
      }
      d.steps[st.k].boxes.forEach(function (b, j) {  /* the sensor's scales, finest first */
        ctx.lineWidth = j ? 1.5 : 2.5; ctx.strokeStyle = j ? "rgba(255,59,48,0.6)" : "#ff3b30";
        ctx.strokeRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
      });
      label.textContent = "glimpse " + (st.k + 1) + " of " + N;
      var b0 = d.steps[st.k].boxes[0];
      readout.textContent = "glimpse " + (st.k + 1) + ": centre (" + fmt((b0[0] + b0[2]) / 2, 1) + ", " + fmt((b0[1] + b0[3]) / 2, 1) + ") px" + (d.steps[st.k].note ? " \u2014 " + d.steps[st.k].note : "");
    }
    img = loadImage(d, function () { draw(); });
    draw();
  }

  /* ---- OCR: a decoded character's attention over the columns of the word image ---- */
  function ocr(root, d) {
    var st = {t: null, pinned: null}, digits = d.digits, P = d.weights[0].length;
    var canvas = imageCanvas(d), ctx = canvas.getContext("2d"), img = null;
    var bars = el("canvas", {width: canvas.width, height: "60", "class": "az-bars"}), bctx = bars.getContext("2d");
    var chars = el("div", {"class": "az-doc"}), readout = el("div", {"class": "az-readout"});
    var spans = d.chars.map(function (c, i) {
      var t = tok(c, i);
      pointable(t, function () { st.t = i; draw(); }, function () { st.t = st.pinned; draw(); },
                function () { st.pinned = st.pinned === i ? null : i; st.t = st.pinned; draw(); });
      chars.appendChild(t);
      return t;
    });
    root.appendChild(el("div", {}, [canvas, bars]));
    root.appendChild(chars); root.appendChild(readout);
    function draw() {
      spans.forEach(function (s, i) { s.classList.toggle("az-active", i === st.t); });
      ctx.imageSmoothingEnabled = false;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (img && img.complete) ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      bctx.clearRect(0, 0, bars.width, bars.height);
      bctx.fillStyle = "#eee"; bctx.fillRect(0, bars.height - 1, bars.width, 1);
      if (st.t === null) {
        clear(readout);
        readout.appendChild(el("span", {"class": "az-hint"}, ["Hover (or click to pin) a character to see where the decoder looked."]));
        return;
      }
      var w = d.weights[st.t], top = max(w) || 1, cw = canvas.width / P;
      w.forEach(function (v, k) {
        ctx.fillStyle = "rgba(0,0,0," + (0.7 * (1 - v / top)).toFixed(3) + ")";
        ctx.fillRect(k * cw, 0, cw + 0.5, canvas.height);
        bctx.fillStyle = "#d62728";
        var h = (bars.height - 4) * v / top;
        bctx.fillRect(k * cw + 0.5, bars.height - 1 - h, Math.max(1, cw - 1), h);
      });
      var k = argmax(w);
      readout.textContent = "\u201c" + d.chars[st.t] + "\u201d: peak " + fmt(w[k], digits) + " at column " + (k + 1) + " of " + P;
    }
    img = loadImage(d, function () { draw(); });
    draw();
  }

  var VIEWS = {alignment: alignment, text: text, image: image, glimpses: glimpses, ocr: ocr};

  function mount(root) {
    if (root.getAttribute("data-az-mounted")) return;
    root.setAttribute("data-az-mounted", "1");
    var data = root.querySelector("script.az-data");
    try {
      var d = JSON.parse(data.textContent);
      if (!VIEWS[d.view]) throw new Error("unknown view " + JSON.stringify(d.view));
      if (d.title) root.appendChild(el("div", {"class": "az-title"}, [d.title]));
      VIEWS[d.view](root, d);
    } catch (err) {
      root.appendChild(el("div", {"class": "az-note"}, ["attnzoo explorer failed: " + err.message]));
      setTimeout(function () { throw err; });  /* a page error, yet the other views still mount */
    }
  }
  function mountAll() { Array.prototype.forEach.call(document.querySelectorAll("div.az-explorer"), mount); }
  window.attnzooExplorer = {mount: mount, mountAll: mountAll, views: VIEWS};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
