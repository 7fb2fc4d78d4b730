"""Small data in our layouts plus MST-Distill's files over it (metadata, class list, index CSV).

The index files are written in their format (header ``group_0,...``, one row per sample
position); the VGGSound-50k metadata as their ``VGGS50k_metadata.txt`` (``<name>&<label>``,
``<name>`` = ``v<ytid>_<start>_<end>_out``) and the class file as VGGSound-AVEL50k's csv
(``video_id,category``).
"""
import csv
import os.path as osp
from typing import Optional, Sequence

from fdkd_mm.testing.synthetic_audio_visual import write_synthetic_vggsound
from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd


def write_index(path: str, columns: Sequence[Sequence[int]]) -> None:
    """An index CSV as theirs: header ``group_0..group_{k-1}``, one row per position.

    Args:
        path: The file to write.
        columns: Column ``k`` (a permutation of the positions) per experiment ``k``.
    """
    rows = [','.join(f'group_{k}' for k in range(len(columns)))]
    rows += [','.join(str(column[i]) for column in columns) for i in range(len(columns[0]))]
    with open(path, 'w') as f:
        f.write('\n'.join(rows) + '\n')


def write_mst_vggsound50k(root: str, class_order: Optional[Sequence[int]] = None,
                          num_classes: int = 141) -> list[tuple[str, str]]:
    """Synthetic VGGSound (3 classes, 6 train + 3 test clips) with their metadata and class file.

    Metadata lines list the test clips, then the training clips; the class file lists the
    synthetic classes in ``class_order`` (indices into the synthetic names) and fills up to
    ``num_classes`` categories with ``extra_<k>``.

    Args:
        root: The data root.
        class_order: Their numbering of the three synthetic classes (default: ``(2, 0, 1)``).
        num_classes: Categories in the class file.

    Returns:
        ``(clip_id, class name)`` per sample position.
    """
    splits = write_synthetic_vggsound(root)
    clips = splits['test'] + splits['train']
    names = list(dict.fromkeys(name for _, name in splits['train']))
    order = [names[i] for i in (class_order or (2, 0, 1))]
    categories = order + [f'extra_{k}' for k in range(len(order), num_classes)]
    with open(osp.join(root, 'vggsound-avel50k.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['video_id', 'category'])
        for k, category in enumerate(categories):
            writer.writerow([f'id{k:09d}', category])
            writer.writerow([f'jd{k:09d}', category])  # a category appears on several rows
    with open(osp.join(root, 'VGGS50k_metadata.txt'), 'w') as f:
        for clip, name in clips:
            ytid, start = clip[:11], int(clip[12:])
            f.write(f'v{ytid}_{start}_{start + 10}_out&{order.index(name)}\n')
    return clips


def write_mst_crisismmd8(root: str) -> list[str]:
    """Synthetic CrisisMMD humanitarian TSVs (8 train, 4 dev, 4 test rows; 12 tweets).

    Args:
        root: The data root.

    Returns:
        The tweet id of each of their sample positions (dev, test, then train tweets).
    """
    write_synthetic_crisismmd(root, task='humanitarian')
    # The writer numbers tweets across train, dev, test; every third row of a split is a second
    # image of the tweet before: train rows 8 -> tweets 1-6, dev 4 -> 7-9, test 4 -> 10-12.
    return [str(900000000000000000 + n) for n in (7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6)]
