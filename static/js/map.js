// The portal map (public overview, public BKM page, staff dashboard). No inline script: the CSP
// forbids it. Reads its settings from data- attributes of .portal-map and its GeoJSON from
// data-map-src (public.selectors.map_data). Polygons must read without tiles (none by default).
(function () {
  "use strict";
  var BAND_COLOURS = { sehat: "#5cb85c", kurang_sehat: "#f0ad4e", tidak_sehat: "#d9534f" };
  var NO_DATA = "#ced4da";
  // Mean % of the area still deficient: four steps, darker is worse (presentation only).
  var SLUM_STEPS = [[25, "#fee5d9", "s0"], [50, "#fcae91", "s1"], [75, "#fb6a4a", "s2"], [101, "#cb181d", "s3"]];

  function slumColour(average) {
    if (average === null || average === undefined) { return NO_DATA; }
    var v = parseFloat(average);
    for (var i = 0; i < SLUM_STEPS.length; i++) { if (v < SLUM_STEPS[i][0]) { return SLUM_STEPS[i][1]; } }
    return SLUM_STEPS[SLUM_STEPS.length - 1][1];
  }

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (content !== undefined && content !== null) { el.textContent = content; }
    return el;
  }

  function popup(lines, link, linkText) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) { box.appendChild(text(i === 0 ? "strong" : "div", line)); });
    if (link) {
      var a = text("a", linkText);
      a.href = link;
      box.appendChild(a);
    }
    return box;
  }

  function legend(el, data) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = text("div", null, "map-legend");
      box.appendChild(text("div", el.dataset.labelKelurahan, "fw-semibold"));
      Object.keys(data.band_labels).forEach(function (code) {
        var row = text("div");
        row.appendChild(text("span", null, "swatch swatch-" + code));
        row.appendChild(document.createTextNode(data.band_labels[code]));
        box.appendChild(row);
      });
      var none = text("div");
      none.appendChild(text("span", null, "swatch swatch-none"));
      none.appendChild(document.createTextNode(el.dataset.labelNodata));
      box.appendChild(none);
      box.appendChild(text("div", el.dataset.labelSlum, "fw-semibold mt-1"));
      var bounds = ["0–25%", "25–50%", "50–75%", "75–100%"];
      SLUM_STEPS.forEach(function (step, i) {
        var row = text("div");
        row.appendChild(text("span", null, "swatch swatch-" + step[2]));
        row.appendChild(document.createTextNode(bounds[i]));
        box.appendChild(row);
      });
      var point = text("div", null, "mt-1");
      point.appendChild(text("span", null, "swatch swatch-point"));
      point.appendChild(document.createTextNode(el.dataset.labelProposals));
      box.appendChild(point);
      if (data.demo) { box.appendChild(text("div", el.dataset.labelDemo, "demo-note")); }
      return box;
    };
    return control;
  }

  function draw(el, data) {
    var map = L.map(el, { preferCanvas: false, zoomSnap: 0.25 });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 18 }).addTo(map);
    }
    var bkmUrl = el.dataset.bkmUrl || "";
    var focus = el.dataset.focusKelurahan ? parseInt(el.dataset.focusKelurahan, 10) : null;
    var focusLayer = null;
    var kelurahan = L.geoJSON(data.kelurahan, {
      style: function (f) {
        var mine = focus !== null && f.properties.id === focus;
        return {
          color: mine ? "#0b3d91" : "#343a40", weight: mine ? 3 : 1, fillOpacity: 0.55,
          fillColor: BAND_COLOURS[f.properties.band] || NO_DATA
        };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var lines = [p.name + " (" + p.kecamatan + ")"];
        if (p.bkm_name) { lines.push(el.dataset.labelBkm + ": " + p.bkm_name); }
        lines.push("PAR: " + p.band_label);
        layer.bindPopup(popup(lines, p.bkm ? bkmUrl.replace("/0/", "/" + p.bkm + "/") : null, p.bkm_name));
        if (focus !== null && p.id === focus) { focusLayer = layer; }
      }
    }).addTo(map);
    var slum = L.geoJSON(data.slum_areas, {
      style: function (f) {
        return { color: "#67000d", weight: 1.5, dashArray: "4 3", fillOpacity: 0.8, fillColor: slumColour(f.properties.average) };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var lines = [p.name, el.dataset.labelArea + ": " + p.area_ha.replace(".", ",")];
        if (p.average !== null) { lines.push(el.dataset.labelAverage + " " + p.year + ": " + p.average.replace(".", ",") + "%"); }
        layer.bindPopup(popup(lines));
      }
    }).addTo(map);
    var points = L.geoJSON(data.proposals, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: "#fff", weight: 1, fillColor: "#1f4e99", fillOpacity: 0.9 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(popup([p.title, el.dataset.labelYear + " " + p.year + " · " + el.dataset.labelStatus + ": " + p.status_label]));
      }
    }).addTo(map);
    var overlays = {};
    overlays[el.dataset.labelKelurahan] = kelurahan;
    overlays[el.dataset.labelSlum] = slum;
    overlays[el.dataset.labelProposals] = points;
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    legend(el, data).addTo(map);
    var target = focusLayer ? focusLayer.getBounds() : kelurahan.getBounds();
    if (target.isValid()) { map.fitBounds(target, { padding: [10, 10] }); } else { map.setView([-2.21, 113.92], 11); }
    el.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".portal-map").forEach(function (el) {
      fetch(el.dataset.mapSrc, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { draw(el, data); })
        .catch(function () { el.dataset.ready = "error"; });
    });
  });
})();
