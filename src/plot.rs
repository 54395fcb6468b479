//! Cost plots: the cost of each epoch as lines, one per series (training, test), written
//! as SVG or PNG.
//!
//! Text is drawn with Noto Sans, embedded in the binary (the `ttf-noto-sans` crate) and
//! registered with plotters' `ab_glyph` text backend on first use, so plotting needs no
//! system fonts and no font-config on the machine that runs it.

use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// The size of the picture in pixels (SVG user units for `.svg`).
const SIZE: (u32, u32) = (960, 600);

/// The font family every text element asks for, registered with the embedded font.
const FONT: &str = "sans-serif";

/// The costs span more than this ratio (two decades) before the y axis turns logarithmic.
const LOG_SPAN: f64 = 100.0;

/// Series up to this many epochs get a marker on every point; longer ones only on points
/// that have no drawn neighbour (a single epoch, or a value between two skipped ones).
const MARKED_EPOCHS: usize = 30;

/// One line of a cost plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostSeries<'a> {
    /// The legend's name for the line, such as `"train"` or `"test"`.
    pub label: &'a str,
    /// The cost after each epoch: `costs[0]` is drawn at epoch 1. Values that are not
    /// finite (and, on a logarithmic axis, values that are not positive) are skipped,
    /// leaving a gap in the line.
    pub costs: &'a [f64],
}

/// The file formats a plot is written in, chosen by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotFormat {
    /// Scalable vector graphics, `.svg`: text stays text, lines stay paths.
    Svg,
    /// A bitmap, `.png`.
    Png,
}

impl PlotFormat {
    /// The format named by `path`'s extension (`.svg` or `.png`, any letter case).
    ///
    /// The command can call this when it parses `--plot`, so that a wrong name is refused
    /// before training rather than after it.
    ///
    /// # Errors
    /// [`PlotError::Format`] for any other extension, or none.
    pub fn from_path(path: &Path) -> Result<Self, PlotError> {
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("svg") => Ok(PlotFormat::Svg),
            Some("png") => Ok(PlotFormat::Png),
            _ => Err(PlotError::Format(path.to_path_buf())),
        }
    }

    /// The extension with its dot, for the temporary file (the PNG encoder picks its
    /// format from it).
    fn suffix(self) -> &'static str {
        match self {
            PlotFormat::Svg => ".svg",
            PlotFormat::Png => ".png",
        }
    }
}

/// Why a plot was not written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The path's extension names no format this module writes.
    #[error("--plot: expected a .svg or .png file; found {}", .0.display())]
    Format(PathBuf),
    /// The file (or its temporary sibling in the same directory) could not be written.
    #[error("cannot write the plot {}: {source}", path.display())]
    Write {
        /// The plot's path, as given.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// plotters failed to draw or encode the picture.
    #[error("cannot draw the plot {}: {message}", path.display())]
    Draw {
        /// The plot's path, as given.
        path: PathBuf,
        /// plotters' description of the failure.
        message: String,
    },
}

/// Draws the cost per epoch of each series as a line, with a legend, the axes labelled
/// "epoch" and "cost", and writes it to `path` as SVG or PNG according to its extension.
///
/// The y axis is logarithmic when every drawn cost is positive and they span more than
/// two decades, linear otherwise. Epochs count from 1. Series may differ in length; empty
/// series, or series with no finite value, still get their legend entry over empty axes.
/// The file is written atomically: drawn into a temporary file in the same directory,
/// then renamed over `path`.
///
/// ```no_run
/// use std::path::Path;
/// use nn::plot::{plot_costs, CostSeries};
///
/// let train = [0.9, 0.4, 0.2, 0.15];
/// let test = [0.95, 0.5, 0.3, 0.28];
/// plot_costs(
///     Path::new("costs.svg"),
///     &[CostSeries { label: "train", costs: &train }, CostSeries { label: "test", costs: &test }],
/// )?;
/// # Ok::<(), nn::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::Format`] if the extension is neither `.svg` nor `.png`;
/// [`PlotError::Write`], naming `path`, if the file cannot be created or written (a
/// missing or read-only directory); [`PlotError::Draw`] if plotters fails.
pub fn plot_costs(path: &Path, series: &[CostSeries<'_>]) -> Result<(), PlotError> {
    let format = PlotFormat::from_path(path)?;
    let write_error = |source| PlotError::Write { path: path.to_path_buf(), source };
    let draw_error = |message: String| PlotError::Draw { path: path.to_path_buf(), message };
    register_font().map_err(draw_error)?;

    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".nn-plot-")
        .suffix(format.suffix())
        .tempfile_in(dir)
        .map_err(write_error)?;
    match format {
        PlotFormat::Svg => {
            let mut svg = String::new();
            draw(SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(), series)
                .map_err(draw_error)?;
            temp.write_all(svg.as_bytes()).and_then(|()| temp.flush()).map_err(write_error)?;
        }
        PlotFormat::Png => {
            // The bitmap backend encodes and writes the file itself, on `present`.
            draw(BitMapBackend::new(temp.path(), SIZE).into_drawing_area(), series)
                .map_err(draw_error)?;
        }
    }
    // A temporary file is private to its owner (0600); a plot is an ordinary file, readable
    // by all as a file created with the usual umask 022 would be.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let readable = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(temp.path(), readable).map_err(write_error)?;
    }
    temp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

/// Registers the embedded font as [`FONT`], once per process.
fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok()
    });
    if ok { Ok(()) } else { Err("the embedded font could not be read".to_string()) }
}

/// The y axis: its kind and its range.
#[derive(Clone, Copy, Debug, PartialEq)]
enum YAxis {
    Linear(f64, f64),
    Log(f64, f64),
}

impl YAxis {
    /// The axis that shows every finite cost of `series`, with a little room around them.
    fn fit(series: &[CostSeries<'_>]) -> YAxis {
        let finite =
            || series.iter().flat_map(|s| s.costs.iter().copied()).filter(|c| c.is_finite());
        let (lo, hi) =
            finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c), hi.max(c)));
        if lo > hi {
            return YAxis::Linear(0.0, 1.0); // nothing to draw: plain empty axes
        }
        if lo > 0.0 && hi / lo > LOG_SPAN {
            // A twentieth of the span on either side, as a factor.
            let room = (hi / lo).powf(0.05);
            return YAxis::Log(lo / room, hi * room);
        }
        let span = hi - lo;
        let room = if span > f64::EPSILON * hi.abs().max(lo.abs()) {
            span * 0.05
        } else if hi != 0.0 {
            hi.abs() * 0.1 // one repeated value: ±10% around it
        } else {
            1.0
        };
        // Costs are rarely negative: do not open a negative region for the room alone.
        let bottom = if lo >= 0.0 { (lo - room).max(0.0) } else { lo - room };
        YAxis::Linear(bottom, hi + room)
    }

    /// Whether a cost can be drawn on this axis.
    fn shows(self, c: f64) -> bool {
        match self {
            YAxis::Linear(..) => c.is_finite(),
            YAxis::Log(..) => c.is_finite() && c > 0.0,
        }
    }
}

/// Draws the chart on `root` and presents it (for the bitmap backend, writes the file).
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    series: &[CostSeries<'_>],
) -> Result<(), String> {
    let epochs = x_len(series);
    // Epoch 1 at the left edge; a single epoch gets the middle of 0..2.
    let x = if epochs >= 2 { 1..epochs } else { 0..2 };
    let y = YAxis::fit(series);
    let result = match y {
        YAxis::Linear(lo, hi) => draw_chart(&root, series, x, lo..hi, y, None),
        YAxis::Log(lo, hi) => {
            draw_chart(&root, series, x, (lo..hi).log_scale(), y, Some(&log_tick))
        }
    };
    result.and_then(|()| root.present()).map_err(|e| e.to_string())
}

/// The chart itself, for either kind of y axis.
fn draw_chart<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    series: &[CostSeries<'_>],
    x: Range<usize>,
    y_coord: Y,
    y: YAxis,
    y_format: Option<&dyn Fn(&f64) -> String>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption("cost per epoch", (FONT, 26))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y_coord)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc("epoch")
        .y_desc("cost")
        .axis_desc_style((FONT, 22))
        .label_style((FONT, 18))
        .light_line_style(RGBColor(235, 235, 235));
    if let Some(format) = y_format {
        mesh.y_label_formatter(format);
    }
    mesh.draw()?;

    let epochs = x_len(series);
    for (i, s) in series.iter().enumerate() {
        let color = colour(i);
        let line = color.stroke_width(2);
        let segments = segments(s.costs, y);
        chart
            .draw_series(segments.iter().map(|seg| PathElement::new(seg.clone(), line)))?
            .label(s.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
        let marked = segments
            .iter()
            .filter(|seg| epochs <= MARKED_EPOCHS || seg.len() == 1)
            .flat_map(|seg| seg.iter().copied());
        chart.draw_series(marked.map(|p| Circle::new(p, 3, color.filled())))?;
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 18))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
    }
    Ok(())
}

/// The longest series' length.
fn x_len(series: &[CostSeries<'_>]) -> usize {
    series.iter().map(|s| s.costs.len()).max().unwrap_or(0)
}

/// The runs of drawable costs as `(epoch, cost)` points, epochs from 1: a skipped value
/// ends a run, so the line has a gap there rather than a bridge across it.
fn segments(costs: &[f64], y: YAxis) -> Vec<Vec<(usize, f64)>> {
    let mut runs: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut open = false;
    for (i, &c) in costs.iter().enumerate() {
        if !y.shows(c) {
            open = false;
            continue;
        }
        match runs.last_mut() {
            Some(run) if open => run.push((i + 1, c)),
            _ => runs.push(vec![(i + 1, c)]),
        }
        open = true;
    }
    runs
}

/// The colour of the `i`-th series: blue and orange for the usual train and test pair,
/// then plotters' palette.
fn colour(i: usize) -> RGBColor {
    match i {
        0 => RGBColor(31, 119, 180),
        1 => RGBColor(255, 127, 14),
        _ => {
            let (r, g, b) = Palette99::pick(i).rgb();
            RGBColor(r, g, b)
        }
    }
}

/// A tick label on the logarithmic axis: plain decimals from 0.001 to 10 000, powers of
/// ten outside.
fn log_tick(v: &f64) -> String {
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("a temporary directory")
    }

    /// The contents of the SVG's `<text>` elements, trimmed.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect()
    }

    const TRAIN: [f64; 5] = [0.9, 0.5, 0.3, 0.2, 0.15];
    const TEST: [f64; 5] = [1.0, 0.6, 0.4, 0.32, 0.3];

    fn pair() -> [CostSeries<'static>; 2] {
        [CostSeries { label: "train", costs: &TRAIN }, CostSeries { label: "test", costs: &TEST }]
    }

    #[test]
    fn svg_has_the_legend_axes_and_lines() {
        let dir = temp_dir();
        let path = dir.path().join("costs.svg");
        plot_costs(&path, &pair()).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        let texts = texts(&svg);
        for text in ["train", "test", "epoch", "cost", "cost per epoch"] {
            assert!(texts.contains(&text), "no {text} among the SVG's texts {texts:?}");
        }
        // Each series is one polyline of its five points (plus the legend's sample).
        assert!(svg.matches("<polyline").count() >= 2);
        assert!(svg.contains(r##"stroke="#1F77B4""##), "the train colour");
        assert!(svg.contains(r##"stroke="#FF7F0E""##), "the test colour");
    }

    #[test]
    fn png_is_a_png_of_the_chosen_size() {
        let dir = temp_dir();
        let path = dir.path().join("costs.PNG");
        plot_costs(&path, &pair()).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: length (4), "IHDR" (4), then width and height, big-endian.
        assert_eq!(&bytes[12..16], b"IHDR");
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((width, height), SIZE);
        // No temporary file left beside it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn other_extensions_are_refused_before_anything_is_written() {
        let dir = temp_dir();
        for name in ["out.pdf", "out", "out.svg.txt"] {
            let path = dir.path().join(name);
            let err = plot_costs(&path, &pair()).unwrap_err();
            assert!(matches!(err, PlotError::Format(_)));
            assert_eq!(
                err.to_string(),
                format!("--plot: expected a .svg or .png file; found {}", path.display())
            );
        }
        assert_eq!(
            PlotFormat::from_path(Path::new("out.pdf")).unwrap_err().to_string(),
            "--plot: expected a .svg or .png file; found out.pdf"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_unwritable_path_is_an_error_naming_it() {
        let dir = temp_dir();
        for name in ["no/such/dir/costs.svg", "no/such/dir/costs.png"] {
            let path = dir.path().join(name);
            let err = plot_costs(&path, &pair()).unwrap_err();
            assert!(matches!(err, PlotError::Write { .. }), "{err:?}");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("cannot write the plot {}: ", path.display())),
                "{message}"
            );
        }
    }

    #[test]
    fn a_directory_as_the_path_is_an_error() {
        let dir = temp_dir();
        let path = dir.path().join("taken.svg");
        fs::create_dir(&path).unwrap();
        let err = plot_costs(&path, &pair()).unwrap_err();
        assert!(matches!(err, PlotError::Write { .. }), "{err:?}");
        assert!(path.is_dir(), "the directory is left as it was");
    }

    #[test]
    fn empty_series_and_no_series_draw_empty_axes() {
        let dir = temp_dir();
        let empty = [CostSeries { label: "train", costs: &[] }];
        let path = dir.path().join("empty.svg");
        plot_costs(&path, &empty).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        let texts = texts(&svg);
        assert!(texts.contains(&"train") && texts.contains(&"epoch"), "{texts:?}");
        plot_costs(&dir.path().join("none.png"), &[]).unwrap();
    }

    #[test]
    fn non_finite_costs_are_skipped_leaving_gaps() {
        let costs = [0.5, f64::NAN, 0.4, 0.3, f64::INFINITY, 0.2];
        let y = YAxis::fit(&[CostSeries { label: "train", costs: &costs }]);
        // Finite costs 0.2..0.5: span 0.3, room 0.015 either side.
        let YAxis::Linear(lo, hi) = y else { panic!("{y:?}") };
        approx::assert_abs_diff_eq!(lo, 0.185, epsilon = 1e-12);
        approx::assert_abs_diff_eq!(hi, 0.515, epsilon = 1e-12);
        assert_eq!(
            segments(&costs, y),
            vec![vec![(1, 0.5)], vec![(3, 0.4), (4, 0.3)], vec![(6, 0.2)]]
        );

        let dir = temp_dir();
        let all_nan = [f64::NAN; 3];
        let series = [
            CostSeries { label: "train", costs: &costs },
            CostSeries { label: "test", costs: &all_nan },
        ];
        plot_costs(&dir.path().join("gaps.svg"), &series).unwrap();
        plot_costs(&dir.path().join("gaps.png"), &series).unwrap();
        let y = YAxis::fit(&[CostSeries { label: "test", costs: &all_nan }]);
        assert_eq!(y, YAxis::Linear(0.0, 1.0));
    }

    #[test]
    fn a_single_epoch_still_draws_a_point() {
        let dir = temp_dir();
        let path = dir.path().join("one.svg");
        plot_costs(&path, &[CostSeries { label: "train", costs: &[0.25] }]).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(svg.contains("<circle"), "the lone point gets a marker");
        // One repeated value: ±10% around it.
        assert_eq!(
            YAxis::fit(&[CostSeries { label: "train", costs: &[0.25] }]),
            YAxis::Linear(0.225, 0.275)
        );
    }

    #[test]
    fn costs_spanning_more_than_two_decades_get_a_log_axis() {
        // 1 → 0.001: three decades; room 1000^0.05 ≈ 1.413 either side.
        let costs = [1.0, 0.1, 0.01, 0.001];
        let y = YAxis::fit(&[CostSeries { label: "train", costs: &costs }]);
        let YAxis::Log(lo, hi) = y else { panic!("{y:?}") };
        let room = 1000f64.powf(0.05);
        approx::assert_relative_eq!(lo, 0.001 / room, max_relative = 1e-12);
        approx::assert_relative_eq!(hi, room, max_relative = 1e-12);
        // Two decades exactly stay linear, and so does anything with a zero in it.
        let two = YAxis::fit(&[CostSeries { label: "train", costs: &[1.0, 0.01] }]);
        assert!(matches!(two, YAxis::Linear(..)));
        let zero = YAxis::fit(&[CostSeries { label: "train", costs: &[1.0, 0.001, 0.0] }]);
        assert!(matches!(zero, YAxis::Linear(..)));

        let dir = temp_dir();
        plot_costs(&dir.path().join("log.svg"), &[CostSeries { label: "train", costs: &costs }])
            .unwrap();
    }

    #[test]
    fn log_ticks_read_as_decimals_then_powers() {
        assert_eq!(log_tick(&0.5), "0.5");
        assert_eq!(log_tick(&0.001), "0.001");
        assert_eq!(log_tick(&20.0), "20");
        assert_eq!(log_tick(&0.0001), "1e-4");
        assert_eq!(log_tick(&100000.0), "1e5");
    }
}
