//! Messages per second over time, drawn from the live channel's samples as an SVG line.

use leptos::prelude::*;

/// One sample: seconds since the epoch (with fraction), messages copied so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub at: f64,
    pub messages: u64,
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;
/// Samples kept (about ten minutes at one a second).
pub const KEEP: usize = 600;

/// Rates between consecutive samples: (seconds since the first sample, messages/s).
pub fn rates(samples: &[Sample]) -> Vec<(f64, f64)> {
    let Some(first) = samples.first() else {
        return Vec::new();
    };
    samples
        .windows(2)
        .filter(|w| w[1].at > w[0].at)
        .map(|w| {
            let rate = w[1].messages.saturating_sub(w[0].messages) as f64 / (w[1].at - w[0].at);
            (w[1].at - first.at, rate)
        })
        .collect()
}

fn polyline(points: &[(f64, f64)]) -> (String, f64) {
    let span = points.last().map(|p| p.0).unwrap_or(1.0).max(1.0);
    let top = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let text = points
        .iter()
        .map(|(t, r)| {
            format!(
                "{:.1},{:.1}",
                t / span * WIDTH,
                HEIGHT - r / top * (HEIGHT - 4.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    (text, top)
}

#[component]
pub fn ThroughputChart(samples: Signal<Vec<Sample>>) -> impl IntoView {
    let data = move || rates(&samples.read());
    view! {
        <figure class="card chart" data-testid="throughput-chart">
            <figcaption>"Messages per second while this page is open"</figcaption>
            {move || {
                let points = data();
                if points.len() < 2 {
                    return view! {
                        <p class="muted small">"The chart fills in while the batch runs."</p>
                    }
                        .into_any();
                }
                let (line, top) = polyline(&points);
                let now = points.last().map(|p| p.1).unwrap_or_default();
                view! {
                    <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none"
                        role="img" aria-label=format!("now {now:.0} messages per second, peak {top:.0}")>
                        <polyline points=line fill="none" stroke="currentColor" stroke-width="2"/>
                    </svg>
                    <p class="muted small">{format!("now {now:.0}/s · peak {top:.0}/s")}</p>
                }
                    .into_any()
            }}
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_between_samples() {
        let s = |at, messages| Sample { at, messages };
        let r = rates(&[s(10.0, 0), s(12.0, 100), s(13.0, 100)]);
        assert_eq!(r, vec![(2.0, 50.0), (3.0, 0.0)]);
        assert!(rates(&[s(1.0, 5)]).is_empty());
    }
}
