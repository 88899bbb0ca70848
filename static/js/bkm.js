// Registry list filters. No inline scripts: the CSP forbids them.
document.addEventListener("DOMContentLoaded", function () {
  var kecamatan = document.getElementById("id_kecamatan");
  var kelurahan = document.getElementById("id_kelurahan");
  if (kecamatan && kelurahan) {
    // A kelurahan of the previous kecamatan would filter everything away:
    // clear it before the form's htmx request reads the values.
    kecamatan.addEventListener("change", function () { kelurahan.value = ""; });
  }
});
