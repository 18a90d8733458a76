/* xtycore default theme: small enhancements; every page works without them.
   - gallery: thumbnails show their image in the large frame instead of opening it;
   - variant picker: option values as buttons, price, stock and the add-to-cart
     button kept in step with the chosen variant;
   - filters: open on wide screens; the sort select submits on change. */
(function () {
  "use strict";

  function showImage(gallery, thumb) {
    var main = gallery.querySelector("[data-gallery-main]");
    if (!main || !thumb) {
      return;
    }
    main.src = thumb.getAttribute("data-src");
    main.srcset = thumb.getAttribute("data-srcset");
    main.alt = thumb.getAttribute("data-alt");
    gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (other) {
      if (other === thumb) {
        other.setAttribute("aria-current", "true");
      } else {
        other.removeAttribute("aria-current");
      }
    });
  }

  function initGallery(gallery) {
    gallery.addEventListener("click", function (event) {
      var thumb = event.target.closest("[data-gallery-thumb]");
      if (thumb) {
        event.preventDefault();
        showImage(gallery, thumb);
      }
    });
  }

  function matches(variant, chosen) {
    return Object.keys(chosen).every(function (name) {
      return variant.options[name] === chosen[name];
    });
  }

  function initVariantPicker(product) {
    var data = product.querySelector("[data-variants]");
    var select = product.querySelector("[data-variant-select]");
    if (!data || !select) {
      return;
    }
    var variants = JSON.parse(data.textContent);
    var picker = product.querySelector("[data-option-picker]");
    var field = product.querySelector("[data-variant-field]");
    var price = product.querySelector("[data-price-now]");
    var was = product.querySelector("[data-price-was]");
    var wasAmount = product.querySelector("[data-price-was-amount]");
    var stock = product.querySelector("[data-stock]");
    var button = product.querySelector("[data-buy-button]");
    var canBuy = button && !product.querySelector("form[action='']");
    var gallery = product.querySelector("[data-gallery]");

    function show(variant) {
      if (!variant) {
        stock.textContent = stock.getAttribute("data-unavailable") || "—";
        stock.className = "stock stock--out_of_stock";
        if (button) {
          button.disabled = true;
        }
        return;
      }
      select.value = String(variant.id);
      if (price) {
        price.textContent = variant.price;
      }
      if (was && wasAmount) {
        was.hidden = !variant.compare_at;
        wasAmount.textContent = variant.compare_at || "";
      }
      stock.textContent = variant.stock_label;
      stock.className = "stock stock--" + variant.stock_state;
      if (button) {
        button.disabled = !(canBuy && variant.available);
      }
      if (gallery && variant.image_id) {
        showImage(gallery, gallery.querySelector("[data-gallery-thumb][data-image-id='" + variant.image_id + "']"));
      }
    }

    function chosenOptions() {
      var chosen = {};
      picker.querySelectorAll(".option__input:checked").forEach(function (input) {
        chosen[input.getAttribute("data-option")] = input.value;
      });
      return chosen;
    }

    // Strike through values that, with the other choices kept, lead to no variant in stock.
    function markAvailability() {
      var chosen = chosenOptions();
      picker.querySelectorAll(".option__input").forEach(function (input) {
        var name = input.getAttribute("data-option");
        var trial = Object.assign({}, chosen);
        trial[name] = input.value;
        var available = variants.some(function (v) {
          return v.available && matches(v, trial);
        });
        var label = picker.querySelector("label[for='" + input.id + "']");
        if (label) {
          label.classList.toggle("is-unavailable", !available);
        }
      });
    }

    if (picker) {
      picker.hidden = false;
      if (field) {
        field.hidden = true;
      }
      picker.addEventListener("change", function () {
        var chosen = chosenOptions();
        show(variants.find(function (v) {
          return matches(v, chosen);
        }));
        markAvailability();
      });
      markAvailability();
    }
    select.addEventListener("change", function () {
      show(variants.find(function (v) {
        return String(v.id) === select.value;
      }));
    });
  }

  function initFilters() {
    var wide = window.matchMedia("(min-width: 64em)");
    document.querySelectorAll("[data-filters]").forEach(function (details) {
      if (wide.matches) {
        details.open = true;
      }
    });
    document.querySelectorAll("[data-autosubmit]").forEach(function (control) {
      control.addEventListener("change", function () {
        if (control.form) {
          control.form.submit();
        }
      });
    });
  }

  document.querySelectorAll("[data-gallery]").forEach(initGallery);
  document.querySelectorAll("[data-product]").forEach(initVariantPicker);
  initFilters();
})();
