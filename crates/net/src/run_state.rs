//! Where a training run stands between epochs: what a checkpoint saves besides the
//! parameters and the optimizer's state.

use ndarray::NdFloat;

use crate::{EpochRecord, Mlp};

/// The epoch with the lowest validation cost so far, and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Best<F> {
    /// The epoch, counting from 0.
    pub epoch: usize,
    /// Its validation cost.
    pub cost: F,
    /// The network after that epoch.
    pub mlp: Mlp<F>,
}

/// The state of a run between two epochs.
#[derive(Clone, Debug, PartialEq)]
pub struct RunState<F> {
    /// The next epoch to run, counting from 0 (the number of epochs done).
    pub next_epoch: usize,
    /// The epochs done, in order.
    pub history: Vec<EpochRecord<F>>,
    /// With early stopping, the best epoch so far.
    pub best: Option<Best<F>>,
    /// With early stopping, the epochs since the best one.
    pub stale_epochs: usize,
}

impl<F> Default for RunState<F> {
    fn default() -> Self {
        RunState { next_epoch: 0, history: Vec::new(), best: None, stale_epochs: 0 }
    }
}

impl<F: NdFloat> RunState<F> {
    /// Records an epoch's validation cost; returns whether the run should stop because
    /// `patience` epochs have passed without a lower cost than the best. A cost that is not
    /// finite never counts as an improvement.
    pub(crate) fn observe_validation(
        &mut self,
        epoch: usize,
        cost: F,
        mlp: &Mlp<F>,
        patience: usize,
    ) -> bool {
        let improved = cost.is_finite() && self.best.as_ref().is_none_or(|best| cost < best.cost);
        if improved {
            match &mut self.best {
                Some(best) => {
                    best.epoch = epoch;
                    best.cost = cost;
                    best.mlp.clone_from(mlp);
                }
                None => self.best = Some(Best { epoch, cost, mlp: mlp.clone() }),
            }
            self.stale_epochs = 0;
            false
        } else {
            self.stale_epochs += 1;
            self.stale_epochs >= patience
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray_rand::rand::SeedableRng;
    use ndarray_rand::rand::rngs::StdRng;

    use super::*;
    use crate::{Activation, Init};

    #[test]
    fn stops_after_patience_epochs_without_a_lower_cost() {
        let net = Mlp::<f64>::new(
            &"1-1".parse().unwrap(),
            &[Activation::Identity],
            Init::default(),
            &mut StdRng::seed_from_u64(0),
        )
        .unwrap();
        let mut state = RunState::default();
        let costs = [3.0, 2.0, 2.0, f64::NAN, 1.5, 1.6, 1.7];
        let stops: Vec<bool> = costs
            .iter()
            .enumerate()
            .map(|(e, &c)| state.observe_validation(e, c, &net, 2))
            .collect();
        assert_eq!(stops, [false, false, false, true, false, false, true]);
        let best = state.best.unwrap();
        assert_eq!((best.epoch, best.cost), (4, 1.5));
    }
}
