"""The padded-batch extractor agrees with plain PyG forwards on the individual graphs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from schedgym.agents.encoders import GraphFeaturesExtractor
from schedgym.agents.graph_batch import obs_to_tensors, pad_observations, unpad
from schedgym.core.graph_obs import PaddedGraphBuffer, graph_observation_space

NODE_DIM, GLOBAL_DIM, MAX_NODES, MAX_EDGES, ACTIONS = 5, 3, 40, 90, 7


def random_graph(rng: np.random.Generator, nodes: int, edges: int) -> Data:
    """A random directed graph with ``nodes`` nodes and ``edges`` edges."""
    x = torch.as_tensor(rng.normal(size=(nodes, NODE_DIM)), dtype=torch.float32)
    edge_index = torch.as_tensor(rng.integers(0, nodes, size=(2, edges)), dtype=torch.long)
    return Data(x=x, edge_index=edge_index)


def padded(graph: Data, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``graph`` in the padded-graph convention (via the shared buffer)."""
    buf = PaddedGraphBuffer(MAX_NODES, NODE_DIM, MAX_EDGES, ACTIONS, GLOBAL_DIM)
    buf.reset(graph.num_nodes)
    buf.node_features[: graph.num_nodes] = graph.x.numpy()
    buf.set_edges(graph.edge_index[0].numpy(), graph.edge_index[1].numpy())
    buf.action_node[:3] = rng.integers(0, graph.num_nodes, size=3)
    buf.action_mask[:3] = 1
    buf.global_features[:] = rng.normal(size=GLOBAL_DIM)
    return buf.observation()


@pytest.fixture
def graphs() -> list[Data]:
    rng = np.random.default_rng(0)
    sizes = [(1, 0), (7, 12), (40, 90), (13, 0), (25, 60)]
    return [random_graph(rng, n, e) for n, e in sizes]


def extractor(conv: str) -> GraphFeaturesExtractor:
    space = graph_observation_space(MAX_NODES, NODE_DIM, MAX_EDGES, ACTIONS, GLOBAL_DIM)
    torch.manual_seed(1)
    return GraphFeaturesExtractor(space, conv=conv, hidden=16, layers=3, pool="meanmax")  # type: ignore[arg-type]


@pytest.mark.parametrize("conv", ["gin", "gatv2"])
def test_padded_batch_matches_unpadded_pyg_forward(conv: str, graphs: list[Data]) -> None:
    rng = np.random.default_rng(1)
    obs = obs_to_tensors(pad_observations([padded(g, rng) for g in graphs]))
    obs = {k: v.float() for k, v in obs.items()}  # what SB3 hands over
    model = extractor(conv).eval()
    with torch.no_grad():
        enc = model.encode(obs)
        start = 0
        for graph in graphs:
            alone = model.node_encoder(graph.x, graph.edge_index)
            got = enc.node_emb[start : start + graph.num_nodes]
            torch.testing.assert_close(got, alone, atol=1e-5, rtol=1e-5)
            start += graph.num_nodes
        assert start == enc.node_emb.shape[0]
        # the same batch through PyG's own batching gives the same embeddings
        pyg = Batch.from_data_list(graphs)
        torch.testing.assert_close(
            model.node_encoder(pyg.x, pyg.edge_index), enc.node_emb, atol=1e-5, rtol=1e-5
        )
        flat = model(obs)
    assert flat.shape == (len(graphs), model.features_dim)


def test_unpad_offsets_and_reverse_information_flow(graphs: list[Data]) -> None:
    rng = np.random.default_rng(2)
    obs = obs_to_tensors(pad_observations([padded(g, rng) for g in graphs]))
    batch = unpad({k: v.float() for k, v in obs.items()})
    reference = Batch.from_data_list(graphs)
    assert torch.equal(batch.edge_index, reference.edge_index)
    assert torch.equal(batch.batch, reference.batch)
    # a 2-node chain 0 -> 1: the source's embedding depends on the sink's features
    model = extractor("gin").eval()
    x = torch.zeros(2, NODE_DIM)
    edge = torch.tensor([[0], [1]])
    base = model.node_encoder(x, edge)[0]
    x[1, 0] = 5.0
    assert not torch.allclose(model.node_encoder(x, edge)[0], base)


def test_single_graph_gather_uses_no_node_embedding() -> None:
    rng = np.random.default_rng(3)
    graph = random_graph(rng, 6, 8)
    obs = padded(graph, rng)
    obs["action_node"][3] = -1
    tensors = {k: v.unsqueeze(0).float() for k, v in obs_to_tensors(obs).items()}
    from schedgym.agents.graph_batch import gather_action_nodes

    enc = extractor("gin").encode(tensors)
    none = torch.full((16,), 7.0)
    picked = gather_action_nodes(enc.node_emb, enc.graph, tensors["action_node"], none)
    assert torch.equal(picked[0, 3], none)
    node = int(obs["action_node"][0])
    assert torch.equal(picked[0, 0], enc.node_emb[node])
