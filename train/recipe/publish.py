"""Publish a checkpoint folder to the Hugging Face Hub (``train.push_to_hub``)."""
from __future__ import annotations

from pathlib import Path


class PublishError(RuntimeError):
    """The checkpoint could not be published; it stays on disk as it is."""


def publish_checkpoint(folder: str | Path, repo_id: str, *, api=None) -> str:
    """Upload ``folder`` (weights, tokenizer, carried code, card) to the model repository ``repo_id``.

    Creates the repository when it does not exist. Returns the URL of the
    upload's commit. ``api``: a ``huggingface_hub.HfApi`` (default: one with
    the token of the environment or ``hf auth login``). Raises
    :class:`PublishError` naming the repository and the reason when the hub
    cannot be reached (offline, no token, no permission).
    """
    folder = Path(folder)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="model",
                                 commit_message=f"qawl checkpoint from {folder}")
    except Exception as err:  # the hub client raises many kinds (HTTP, offline mode, auth)
        raise PublishError(f"train.push_to_hub: could not publish {folder} to {repo_id}: {type(err).__name__}: {err}; "
                           f"the checkpoint is saved at {folder}") from err
    return str(getattr(info, "commit_url", info))
