//! A learning rate large enough to overflow stops training with `NetError::Diverged`
//! naming the epoch and what overflowed, and the network left in place is the one after the
//! last step that succeeded, to the bit: the same network as the same seed trained for
//! exactly that many steps.

#![cfg(test)]

use std::cell::Cell;
use std::ops::ControlFlow;

use ndarray::{Array2, array};
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{Activation, Dataset, Init, Mlp, NetError, TrainConfig, Trainer, Training};

/// A 2-3-1 network (tanh, then identity) drawn from a fixed seed.
fn start() -> Mlp<f32> {
    let arch = "2-3-1".parse().unwrap();
    let activations = [Activation::Tanh, Activation::Identity];
    Mlp::new(&arch, &activations, Init::Xavier, &mut StdRng::seed_from_u64(5)).unwrap()
}

/// Six copies of one sample: every shuffle gives the same batches, so the run's steps can
/// be replayed with a bare [`Trainer`].
fn copies() -> Dataset<f32> {
    let x = Array2::from_shape_fn((6, 2), |(_, j)| [0.5, -1.5][j]);
    let y = Array2::from_elem((6, 1), 3.0);
    Dataset::new(x, y).unwrap()
}

/// Batches of 2 (three steps an epoch) at a rate that makes every step overshoot further.
fn config(epochs: usize) -> TrainConfig<f32> {
    TrainConfig { rate: 40.0, epochs, batch_size: Some(2), seed: 9, ..TrainConfig::default() }
}

#[test]
fn a_run_that_diverges_mid_epoch_leaves_the_parameters_of_its_last_good_step() {
    let data = copies();
    let good_steps = Cell::new(0);
    let mut mlp = start();
    let e = Training::new(&config(1000))
        .on_batch(|_| good_steps.set(good_steps.get() + 1))
        .run(&mut mlp, &data, |_| ControlFlow::Continue(()))
        .unwrap_err();
    let NetError::Diverged { epoch, what } = e else { panic!("expected a divergence: {e:?}") };
    let good = good_steps.get();
    // The failing step is step `good` (from 0); three steps an epoch.
    assert_eq!(epoch, good / 3, "{e}");
    // Mid-epoch, so the epoch's earlier steps stand: not the network after the last epoch.
    assert_ne!(good % 3, 0, "this run should fail inside an epoch ({good} good steps)");
    assert!(good >= 3, "at least one whole epoch before the divergence ({good} good steps)");
    assert!(["cost", "gradient", "parameter update"].contains(&what), "{what}");
    let message = e.to_string();
    assert!(message.contains(&format!("diverged at epoch {epoch}: the {what} is not finite")));
    assert!(message.contains("last finite"), "{message}");
    assert!(mlp.parameters().all(f32::is_finite));

    // The same seed, stepped `good` times by hand on the same batch of two copies.
    let mut replayed = start();
    let mut trainer = Trainer::new(&replayed, 2);
    let (x, y) =
        (data.inputs().slice(ndarray::s![..2, ..]), data.targets().slice(ndarray::s![..2, ..]));
    for _ in 0..good {
        trainer.step(&mut replayed, &x, &y, &config(1000)).unwrap();
    }
    assert!(mlp == replayed, "the network left is not the one after the last good step");
    // And the next step is the one that fails, changing nothing.
    let e = trainer.step(&mut replayed, &x, &y, &config(1000)).unwrap_err();
    assert!(matches!(e, NetError::Diverged { what: w, .. } if w == what), "{e:?}");
    assert!(mlp == replayed);
}

#[test]
fn a_full_batch_run_that_diverges_keeps_the_network_of_the_epoch_before() {
    // Full batch: one step an epoch, so the network left is the one after `epoch` epochs,
    // which a run of that many epochs (when its final cost is still finite) also leaves.
    let data = Dataset::new(array![[1.0_f32, 2.0], [-1.0, 0.5]], array![[2.0], [-1.0]]).unwrap();
    let full = |epochs| TrainConfig { batch_size: None, ..config(epochs) };
    let mut mlp = start();
    let e = Training::new(&full(1000)).run(&mut mlp, &data, |_| ControlFlow::Continue(()));
    let Err(NetError::Diverged { epoch, what }) = e else { panic!("expected a divergence: {e:?}") };
    assert!(epoch >= 1, "diverged at once");
    let mut shorter = start();
    match Training::new(&full(epoch)).run(&mut shorter, &data, |_| ControlFlow::Continue(())) {
        // The step at `epoch` failed on its gradient or update: the cost was still finite.
        Ok(history) => assert_eq!(history.epochs.len(), epoch),
        // It failed on its cost: the shorter run finds the same at its final evaluation.
        Err(e) => {
            assert_eq!(what, "cost");
            assert_eq!(e, NetError::Diverged { epoch, what: "cost" });
        }
    }
    assert!(mlp == shorter, "the network left is not the one after epoch {epoch}");
}
