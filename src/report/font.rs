//! The embedded chart font: charts render with no system font or font library.

use plotters::style::{register_font, FontStyle};
use std::sync::Once;

/// DejaVu Sans (see assets/fonts/DejaVuSans-LICENSE.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

static REGISTER: Once = Once::new();

/// Registers the embedded font as `sans-serif` (every style falls back to it). Idempotent; call
/// before any drawing.
pub(crate) fn ensure_registered() {
    REGISTER.call_once(|| {
        if register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS).is_err() {
            panic!("the embedded DejaVu Sans font does not parse");
        }
    });
}
